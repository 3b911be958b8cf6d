import { postgresError } from '@app/database';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors';

/** The system error codes of a connection that could not be made or was lost. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/**
 * SQLSTATEs of a Postgres that cannot serve: connection exceptions (class 08), an administrator's or a
 * crash shutdown, starting up, and no connection slot left.
 */
function isUnavailableSqlState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

/** The error, and what it wraps: TypeORM's driverError, an Error's cause, an AggregateError's errors. */
function* chain(error: unknown, depth = 0): Generator<unknown> {
  if (!error || typeof error !== 'object' || depth > 4) return;
  yield error;
  const wrapper = error as { driverError?: unknown; cause?: unknown; errors?: unknown };
  yield* chain(wrapper.driverError, depth + 1);
  yield* chain(wrapper.cause, depth + 1);
  if (Array.isArray(wrapper.errors)) for (const inner of wrapper.errors) yield* chain(inner, depth + 1);
}

/**
 * Whether an error is a connection to Postgres or Redis that failed, decided by its class and codes (a
 * system error code, a SQLSTATE, ioredis's retry limit), never by its message text. Errors that carry
 * neither (pg's "connection terminated", ioredis's "connection is closed") are told apart by probing the
 * dependencies instead (DependencyOutages.explain).
 */
export function isConnectionFailure(error: unknown): boolean {
  for (const e of chain(error)) {
    if (e instanceof MaxRetriesPerRequestError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    const sqlState = postgresError(e)?.code;
    if (sqlState && isUnavailableSqlState(sqlState)) return true;
  }
  return false;
}
