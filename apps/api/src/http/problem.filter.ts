import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Injectable, Logger } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemCode } from '@app/domain';
import { DependencyOutages, RETRY_AFTER_SECONDS } from '../health/dependency-outages';
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

const UNREACHABLE = {
  postgres: 'the database cannot be reached',
  redis: 'the queues (Redis) cannot be reached',
  connection: 'a connection to the database or the queues was lost',
} as const;

const logger = new Logger('http');

/** The answer while Postgres or Redis cannot be reached: 503 `unavailable`, retry after a few seconds. */
export function unavailableProblem(cause: keyof typeof UNREACHABLE): Problem {
  return new Problem('unavailable', `${UNREACHABLE[cause]}; retry in a few seconds (with the same Idempotency-Key)`, {
    'retry-after': String(RETRY_AFTER_SECONDS),
  });
}

/** The problem an error stands for when it has a meaning of its own (a Problem, or an HTTP status we map); undefined otherwise. */
export function knownProblem(error: unknown): Problem | undefined {
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
  return undefined;
}

/** A problem as application/problem+json, with its headers (Retry-After), for the request at `url`. */
export function sendProblem(reply: FastifyReply, problem: Problem, url: string): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  return reply
    .status(problem.getStatus())
    .header('content-type', 'application/problem+json')
    .send(problem.body(url.split('?')[0]));
}

/**
 * Every error leaves as application/problem+json. One with no meaning of its own is either Postgres or
 * Redis gone (a connection failure by its codes, or any error while a probe finds one unreachable): a
 * 503 `unavailable` with Retry-After, the outage logged once (DependencyOutages); or a genuine bug: logged
 * with its stack and answered `internal_error` without detail.
 */
@Catch()
@Injectable()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly outages: DependencyOutages) {}

  async catch(error: unknown, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    sendProblem(reply, await this.toProblem(error, request), request.url);
  }

  /** Any error as the problem it answers with. */
  async toProblem(error: unknown, request: FastifyRequest): Promise<Problem> {
    const known = knownProblem(error);
    if (known) return known;
    const unreachable = await this.outages.explain(error);
    if (unreachable) return unavailableProblem(unreachable);
    logger.error(`${request.method} ${request.routeOptions?.url ?? ''} failed: ${(error as Error)?.stack ?? String(error)}`);
    return new Problem('internal_error');
  }
}
