import type { LogLevel } from '@app/config';
import { DynamicModule, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import pino, { LoggerOptions } from 'pino';
import { redactUrl, SECRET_SERIALIZERS, withoutSecrets } from './log-redaction';
import { currentRequestContext, requestContextMiddleware, requestIdOf } from './request-context';

/** One JSON object a line, the same shape in every app: `app`, `requestId` when there is one, secrets redacted. */
export function pinoOptions(app: string, level: LogLevel): LoggerOptions {
  return {
    level,
    base: { app, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { log: withoutSecrets },
    serializers: SECRET_SERIALIZERS,
    // Jobs (and anything else run under a request context) log with their request id; an HTTP request's
    // own logger binds it already.
    mixin: () => {
      const context = currentRequestContext();
      return context && !context.boundByHttp ? { requestId: context.requestId } : {};
    },
  };
}

/** For what is logged before Nest is up (or when it fails to start): LOG_LEVEL read as is, before validation. */
export function bootLogger(app: string): pino.Logger {
  const level = process.env.LOG_LEVEL as LogLevel | undefined;
  return pino(pinoOptions(app, level && pino.levels.values[level] !== undefined ? level : 'info'));
}

/** Every route. nestjs-pino's default pattern, `{/*splat}`, matches nothing under NestJS 12's Fastify adapter. */
const EVERY_ROUTE = { path: '*path', method: RequestMethod.ALL };

/** The rest of an HTTP request runs with its request id as the current one (see request-context.ts). */
@Module({})
class RequestContextModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(requestContextMiddleware).forRoutes(EVERY_ROUTE);
  }
}

/**
 * pino through nestjs-pino for an app: Nest's own logs and ours as JSON lines. For the API, also a line
 * per request (method, the URL with any link token redacted, status, time; never a body or a header) and
 * the request id, taken from a well-formed `X-Request-Id` or generated, echoed in the response.
 */
@Module({})
export class LoggingModule {
  static forRoot(app: string, level: LogLevel): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          forRoutes: [EVERY_ROUTE],
          pinoHttp: {
            ...pinoOptions(app, level),
            genReqId: (req: IncomingMessage) => requestIdOf(req),
            customAttributeKeys: { reqId: 'requestId' },
            quietReqLogger: true,
            // Status polls and event-stream reads come by the thousand a second: a read answered well is
            // logged at debug; writes and refusals at info (a 4xx is the client's), failures at error.
            customLogLevel: (req: IncomingMessage, res: { statusCode: number }, error?: Error) =>
              error || res.statusCode >= 500
                ? 'error'
                : res.statusCode >= 400
                  ? 'warn'
                  : req.method === 'GET' || req.method === 'HEAD'
                    ? 'debug'
                    : 'info',
            serializers: {
              ...SECRET_SERIALIZERS,
              req: (req: { method?: string; url?: string }) => ({ method: req.method, url: redactUrl(req.url) }),
              res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
            },
          },
        }),
        RequestContextModule,
      ],
    };
  }
}
