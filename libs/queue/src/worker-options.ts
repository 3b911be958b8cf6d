import { BackoffStrategy, WorkerOptions } from 'bullmq';
import { CAPPED_EXPONENTIAL, CappedBackoffOptions } from './job-options';

/** Exponential from the job's own `delay`, capped at its `cap`: how challenges are retried (CAPPED_EXPONENTIAL). */
export const cappedBackoff: BackoffStrategy = (attemptsMade, type, _error, job) => {
  const backoff = job?.opts.backoff as Partial<CappedBackoffOptions> | undefined;
  if (type !== CAPPED_EXPONENTIAL || !backoff) throw new Error(`unknown backoff strategy ${type ?? '?'}`);
  const base = backoff.delay ?? 1000;
  return Math.min(backoff.cap ?? base, base * 2 ** Math.max(0, attemptsMade - 1));
};

/** How long a job's lock lasts unless its worker renews it (BullMQ renews it every half of that while the job runs). */
export const JOB_LOCK_MS = 10_000;
/** How often each worker looks for jobs whose lock lapsed (their worker died) and puts them back to be taken. */
export const STALLED_CHECK_MS = 5_000;

/**
 * Options every worker shares. BullMQ waits `runRetryDelay` (15 s by default) before it asks Redis for work
 * again after a connection error; with ioredis reconnecting within a second (redis-connection.ts), work
 * resumes within about two seconds of Redis answering again. A job whose worker was killed is taken again
 * within JOB_LOCK_MS + STALLED_CHECK_MS (BullMQ's defaults, 30 s each, allowed a minute), for one
 * stalled-jobs script per worker every 5 s.
 */
export const WORKER_OPTIONS: Partial<WorkerOptions> = {
  runRetryDelay: 500,
  lockDuration: JOB_LOCK_MS,
  stalledInterval: STALLED_CHECK_MS,
  settings: { backoffStrategy: cappedBackoff },
};
