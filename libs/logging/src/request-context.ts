import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What one request (or a job it led to) carries through the apps: the id operators follow it by. */
export interface RequestContext {
  requestId: string;
}

export const REQUEST_ID_HEADER = 'x-request-id';

/** An id a caller may choose: short, and nothing a log or header could be abused with. */
const WELL_FORMED = /^[A-Za-z0-9._:-]{8,64}$/;

const storage = new AsyncLocalStorage<RequestContext>();
const ASSIGNED = Symbol('requestId');

export function isWellFormedRequestId(value: unknown): value is string {
  return typeof value === 'string' && WELL_FORMED.test(value);
}

/** The request id of what is running now (an HTTP request or a job), if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Runs `fn` with `requestId` as the current request id (a job's, when it carries one; else a fresh one). */
export function runWithRequestId<T>(requestId: string | undefined, fn: () => T): T {
  return storage.run({ requestId: isWellFormedRequestId(requestId) ? requestId : randomUUID() }, fn);
}

/**
 * The request's id, decided once: the caller's `X-Request-Id` when well formed, else a new UUID. Fastify
 * (its genReqId) and the request log middleware ask, in either order.
 */
export function requestIdOf(req: Pick<IncomingMessage, 'headers'>): string {
  const holder = req as { [ASSIGNED]?: string };
  if (!holder[ASSIGNED]) {
    const offered = req.headers[REQUEST_ID_HEADER];
    holder[ASSIGNED] = isWellFormedRequestId(offered) ? offered : randomUUID();
  }
  return holder[ASSIGNED];
}
