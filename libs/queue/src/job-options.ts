import { JobsOptions } from 'bullmq';
import { QueueName } from './queue-name';

/** Per-queue delivery policy, after BullMQ's "going to production" guide: retries with backoff, bounded retention. */
export const JOB_OPTIONS: Record<QueueName, JobsOptions> = {
  [QueueName.Notifications]: {
    attempts: 8,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 24 * 3600, count: 10000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  },
  [QueueName.Confirmations]: {
    attempts: 10,
    backoff: { type: 'exponential', delay: 500 },
    removeOnComplete: { age: 24 * 3600, count: 10000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  },
  // Kept until the exchange's wallet consumes them.
  [QueueName.WithdrawalsPosted]: { attempts: 25, backoff: { type: 'exponential', delay: 1000 } },
};

/** Evidence is answered once or not at all: no retry, and gone from Redis as soon as it has its verdict. */
export const EVIDENCE_JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: true,
  removeOnFail: true,
};
