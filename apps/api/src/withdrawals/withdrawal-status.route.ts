import { JwtVerifier } from '@app/crypto';
import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate } from '../http/bearer.guard';
import { ProblemFilter, sendProblem } from '../http/problem.filter';
import { StatusDocumentCache } from './status-document-cache';
import { WITHDRAWAL_ID } from './withdrawal-id';
import { WithdrawalStatusService } from './withdrawal-status.service';

type StatusRequest = FastifyRequest<{ Params: { id: string } }>;

/** Whether If-None-Match names this ETag (a list, weak or strong). */
function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  return !!ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/**
 * `GET /v1/withdrawals/:id`, the status document frontends poll, as a Fastify route of its own beside
 * Nest's: polls come by the thousand a second, and Nest's router, guard, pipes and filter around an answer
 * from a cache cost about as much as the answer (issue 11; README "Performance", step 20). What they gave
 * the route is done here by the same code: the bearer checked by `authenticate` (BearerGuard's), the id by
 * the pipe the other withdrawal routes use, every error answered as ProblemFilter answers it. The request
 * id, the request log and CORS are Fastify hooks, the same for every route.
 */
@Injectable()
export class WithdrawalStatusRoute {
  constructor(
    private readonly verifier: JwtVerifier,
    private readonly cache: StatusDocumentCache,
    private readonly status: WithdrawalStatusService,
    private readonly problems: ProblemFilter,
  ) {}

  /** Adds the route to the API's Fastify instance; call before the app is initialised. */
  register(fastify: FastifyInstance): void {
    fastify.get('/v1/withdrawals/:id', (request: StatusRequest, reply) => this.answer(request, reply));
  }

  /**
   * The owner's document from the cache the change feed keeps current (a poll of an unchanged withdrawal
   * needs no query), 304 to its ETag; anyone else's, and any malformed id, not found.
   */
  private async answer(request: StatusRequest, reply: FastifyReply): Promise<FastifyReply> {
    try {
      const { caller } = await authenticate(this.verifier, request.headers.authorization);
      const { id } = request.params;
      await WITHDRAWAL_ID.transform(id, { type: 'param', data: 'id' }); // not found unless a UUID
      let cached = this.cache.get(id, caller.id);
      if (!cached) {
        const mark = this.cache.mark();
        cached = this.cache.store(id, caller.id, await this.status.forOwner(caller.id, id), mark);
      }
      reply.header('etag', cached.etag).header('cache-control', 'private, no-cache');
      if (notModified(request.headers['if-none-match'], cached.etag)) return reply.status(304).send();
      return reply.header('content-type', 'application/json; charset=utf-8').send(cached.json);
    } catch (error) {
      return sendProblem(reply, await this.problems.toProblem(error, request), request.url);
    }
  }
}

/** The route's operation in the OpenAPI document (Nest documents only its own routes). */
export function withWithdrawalStatusRoute(document: OpenAPIObject): OpenAPIObject {
  document.paths['/v1/withdrawals/{id}'] = {
    ...document.paths['/v1/withdrawals/{id}'],
    get: {
      operationId: 'WithdrawalsController_get',
      summary: "A withdrawal's status document (the owner's only); polled by frontends",
      parameters: [
        { name: 'id', required: true, in: 'path', schema: { type: 'string', format: 'uuid' } },
        {
          name: 'If-None-Match',
          required: false,
          in: 'header',
          description: 'the ETag of the document last seen: 304 while it is unchanged',
          schema: { type: 'string' },
        },
      ],
      responses: {
        '200': {
          description: 'the status document, with its ETag',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/WithdrawalStatusDocument' } } },
        },
        '304': { description: 'unchanged since the ETag given in If-None-Match' },
      },
      security: [{ bearer: [] }],
      tags: ['customer: withdrawals'],
    },
  };
  return document;
}
