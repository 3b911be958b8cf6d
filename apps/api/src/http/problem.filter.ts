import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemCode } from '@app/domain';
import { Problem } from './problem';

const BY_STATUS: Partial<Record<number, ProblemCode>> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'validation_failed',
  415: 'validation_failed',
  429: 'rate_limited',
};

const logger = new Logger('http');

/** Any error as the problem it answers with; an unexpected one is logged and becomes `internal_error`. */
export function toProblem(error: unknown, request: FastifyRequest): Problem {
  if (error instanceof Problem) return error;
  if (error instanceof HttpException) {
    const code = BY_STATUS[error.getStatus()];
    if (code) {
      const response = error.getResponse();
      const message = typeof response === 'object' && response && 'message' in response ? response.message : undefined;
      return new Problem(code, Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : undefined);
    }
  }
  const status = (error as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && BY_STATUS[status]) return new Problem(BY_STATUS[status], (error as Error).message);
  logger.error(`${request.method} ${request.routeOptions?.url ?? ''} failed: ${(error as Error)?.stack ?? String(error)}`);
  return new Problem('internal_error');
}

/** Every error leaves as application/problem+json; unexpected ones are logged and answered without detail. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const problem = toProblem(error, request);
    for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
    reply
      .status(problem.getStatus())
      .header('content-type', 'application/problem+json')
      .send(problem.body(request.url.split('?')[0]));
  }
}
