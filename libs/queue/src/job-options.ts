import { AppConfig } from '@app/config';
import { BackoffOptions, JobsOptions } from 'bullmq';
import { QueueName } from './queue-name';

/** A challenge is retried while its withdrawal is open, however long that takes: the consumer ends it once the withdrawal has ended. */
const UNTIL_THE_WITHDRAWAL_ENDS = 1_000_000_000;

/** The backoff of challenge deliveries: exponential from `delay`, never more than `cap` (see cappedBackoff). */
export const CAPPED_EXPONENTIAL = 'capped-exponential';
export type CappedBackoffOptions = BackoffOptions & { type: typeof CAPPED_EXPONENTIAL; cap: number };

const challengeDelivery = (baseMs: number, capMs: number): JobsOptions => ({
  attempts: UNTIL_THE_WITHDRAWAL_ENDS,
  backoff: { type: CAPPED_EXPONENTIAL, delay: baseMs, cap: capMs } as CappedBackoffOptions,
  removeOnComplete: { age: 24 * 3600, count: 10000 },
  removeOnFail: { age: 7 * 24 * 3600 },
});

/**
 * Outcome emails, security alerts and notices: a customer must hear of a posting or a factor change even
 * after an SMTP or push outage of hours, so they are retried (capped at 5 minutes apart) for about a day
 * rather than 8 times in two minutes; each failed attempt is audited (notification_send_failed).
 */
const FOR_A_DAY: JobsOptions = {
  attempts: 300,
  backoff: { type: CAPPED_EXPONENTIAL, delay: 1000, cap: 5 * 60_000 } as CappedBackoffOptions,
  removeOnComplete: { age: 24 * 3600, count: 10000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** Per-queue delivery policy, after BullMQ's "going to production" guide: retries with backoff, bounded retention. */
export const JOB_OPTIONS: Record<QueueName, JobsOptions> = {
  [QueueName.Notifications]: FOR_A_DAY,
  [QueueName.Confirmations]: {
    attempts: 10,
    backoff: { type: 'exponential', delay: 500 },
    removeOnComplete: { age: 24 * 3600, count: 10000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  },
  [QueueName.ChallengeEmails]: challengeDelivery(1000, 60_000),
  // Challenge pushes are added with challengeJobOptions(); these apply to the other pushes (security notices).
  [QueueName.Pushes]: FOR_A_DAY,
  // Kept until the exchange's wallet consumes them.
  [QueueName.WithdrawalsPosted]: { attempts: 25, backoff: { type: 'exponential', delay: 1000 } },
};

/** Evidence is answered once or not at all: no retry, and gone from Redis as soon as it has its verdict. */
export const EVIDENCE_JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: true,
  removeOnFail: true,
};

/** A challenge queue's options with this deployment's retry figures (DELIVERY_RETRY_BASE, DELIVERY_RETRY_CAP). */
export function challengeJobOptions(config: Pick<AppConfig, 'delivery'>): JobsOptions {
  return challengeDelivery(config.delivery.retryBaseMs, config.delivery.retryCapMs);
}

/**
 * What a job is published with (the outbox relay, the reconciler): its queue's options, but a withdrawal's
 * challenge fan-out on the pushes queue, which delivers the pushes itself, is retried as challenges are.
 */
export function publishOptions(queue: QueueName, name: string, config: Pick<AppConfig, 'delivery'>): JobsOptions {
  return queue === QueueName.Pushes && name === 'send-withdrawal-challenges' ? challengeJobOptions(config) : JOB_OPTIONS[queue];
}
