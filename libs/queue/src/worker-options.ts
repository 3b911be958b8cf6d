import { BackoffStrategy, WorkerOptions } from 'bullmq';
import { CAPPED_EXPONENTIAL, CappedBackoffOptions } from './job-options';

/** Exponential from the job's own `delay`, capped at its `cap`: how challenges are retried (CAPPED_EXPONENTIAL). */
export const cappedBackoff: BackoffStrategy = (attemptsMade, type, _error, job) => {
  const backoff = job?.opts.backoff as Partial<CappedBackoffOptions> | undefined;
  if (type !== CAPPED_EXPONENTIAL || !backoff) throw new Error(`unknown backoff strategy ${type ?? '?'}`);
  const base = backoff.delay ?? 1000;
  return Math.min(backoff.cap ?? base, base * 2 ** Math.max(0, attemptsMade - 1));
};

/**
 * Options every worker shares. BullMQ waits `runRetryDelay` (15 s by default) before it asks Redis for work
 * again after a connection error; with ioredis reconnecting within a second (redis-connection.ts), work
 * resumes within about two seconds of Redis answering again.
 */
export const WORKER_OPTIONS: Partial<WorkerOptions> = {
  runRetryDelay: 500,
  settings: { backoffStrategy: cappedBackoff },
};
