import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Level, Logger } from 'pino';
import { requestIdOf, runWithRequestId, REQUEST_ID_HEADER } from './request-context';

/**
 * Status polls and event-stream reads come by the thousand a second: a read answered well is logged at
 * debug; writes and refusals at info or warn (a 4xx is the client's), failures at error.
 */
export function requestLogLevel(method: string | undefined, statusCode: number, finished: boolean): Level {
  if (statusCode >= 500) return 'error';
  if (!finished || statusCode >= 400) return 'warn';
  return method === 'GET' || method === 'HEAD' ? 'debug' : 'info';
}

/**
 * Connect-style middleware for every HTTP request: its id decided once and echoed (`X-Request-Id`), the rest
 * of the request run with that id as the current one (the loggers' mixin adds it to every line), and one
 * line when the response ends (method, URL with any link token redacted, status, time; never a body or a
 * header). Nothing is built per request for a line the level leaves out: a poll logged at debug costs a
 * comparison, where pino-http made two child loggers (and serialized the request) for every request.
 */
export function requestLogMiddleware(loggerOf: () => Logger) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const requestId = requestIdOf(req);
    if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, requestId);
    const started = Date.now();
    // 'close' comes after 'finish', or alone when the client went away first.
    res.once('close', () => {
      const finished = res.writableFinished;
      const level = requestLogLevel(req.method, res.statusCode, finished);
      const logger = loggerOf();
      if (!logger.isLevelEnabled(level)) return;
      // The logger's serializers keep of req and res what may be logged (method, redacted URL, status).
      logger[level](
        { requestId, req, res, responseTime: Date.now() - started },
        finished ? (res.statusCode >= 500 ? 'request errored' : 'request completed') : 'request aborted',
      );
    });
    runWithRequestId(requestId, next);
  };
}

/**
 * The same as a Fastify `onRequest` hook (the API adds it to its Fastify instance): every route, Nest's and
 * the Fastify routes beside them, without @fastify/middie's connect-style chain per request.
 */
export function requestLogHook(loggerOf: () => Logger) {
  const log = requestLogMiddleware(loggerOf);
  return (request: { raw: IncomingMessage }, reply: { raw: ServerResponse }, done: () => void): void => log(request.raw, reply.raw, done);
}
