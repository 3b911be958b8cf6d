import { InjectQueue } from '@nestjs/bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AuditRepository, NewOutboxEntry, OutboxRepository, PendingOutboxEntry, Transactions } from '@app/database';
import { EntityManager } from 'typeorm';
import { Queue } from 'bullmq';
import { publishOptions } from './job-options';
import { OutageLog } from './liveness/outage-log';
import { QueueName } from './queue-name';
import { settleWithin } from './settle-within';

const BATCH = 100;
/**
 * The sweep: a commit's jobs are published from memory right after it (publishCommitted); the sweep finds
 * only what a crash between a commit and its publish, a Redis outage or a failed attempt left behind. At
 * 250 ms it was three statements and a commit four times a second in every app, idle or not (README, step 22).
 */
export const OUTBOX_SWEEP_MS = 2000;
/**
 * How long a published job waits for its mark, so that one statement marks the jobs of every commit of
 * that moment: under load a fraction of a statement per commit. A sweep that meets a job in that window
 * publishes it again under its job id, a no-op.
 */
export const MARK_AFTER_MS = 50;
/** Publishing a row may fail this often, with Redis answering, before the row is set aside as failed. */
export const OUTBOX_ATTEMPTS = 3;
const PROBE_TIMEOUT_MS = 1000;
/**
 * How long one publish may take. The queues' connections retry a command for as long as Redis is away
 * (maxRetriesPerRequest: null, as BullMQ needs); a connection left parked while reconnecting (seen after
 * Redis restarts) would hold a pass, its rows' locks and the app's shutdown for good.
 */
export const PUBLISH_TIMEOUT_MS = 5000;

/** A publish that did not answer in time: Redis, or the connection to it, is away; not the row's fault. */
class PublishTimedOut extends Error {}

/**
 * Publishes committed outbox rows to BullMQ. A commit's own jobs are published from memory right after it,
 * then marked published in one statement shared with the other commits' marks of that moment; the sweep
 * passes over the outbox for the rest. Every app runs one; SKIP LOCKED lets the sweeps share the work.
 * A crash between publishing and marking republishes the row, as does a sweep that meets a row while it is
 * published from memory: job ids are deterministic (BullMQ ignores a job id it holds, and keeps finished
 * ones a day) and every consumer is idempotent, so that is harmless. A sweep publishes rows one by one: a
 * row that fails while Redis answers is the row's fault, and after OUTBOX_ATTEMPTS it is marked failed (its
 * reason kept, audited, counted in /metrics) so that it never holds back anyone else's jobs.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  // Kicks and sweeps would log each failure again and again: an outage is logged when it starts and ends.
  private readonly postgresOutage = new OutageLog(this.logger, 'postgres (outbox relay)');
  private readonly redisOutage = new OutageLog(this.logger, 'redis (outbox relay)');
  private readonly queues: Record<QueueName, Queue>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  /** Commits' jobs being published from memory, awaited at shutdown. */
  private readonly committed = new Set<Promise<void>>();
  /** Published jobs waiting for their mark, the timer that will mark them, and the mark statement in flight. */
  private unmarked: { queue: string; jobId: string }[] = [];
  private markTimer?: NodeJS.Timeout;
  private marking?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly outbox: OutboxRepository,
    private readonly audit: AuditRepository,
    @InjectQueue(QueueName.Notifications) notifications: Queue,
    @InjectQueue(QueueName.Confirmations) confirmations: Queue,
    @InjectQueue(QueueName.WithdrawalsPosted) posted: Queue,
    @InjectQueue(QueueName.ChallengeEmails) challengeEmails: Queue,
    @InjectQueue(QueueName.Pushes) pushes: Queue,
  ) {
    this.queues = {
      [QueueName.Notifications]: notifications,
      [QueueName.Confirmations]: confirmations,
      [QueueName.WithdrawalsPosted]: posted,
      [QueueName.ChallengeEmails]: challengeEmails,
      [QueueName.Pushes]: pushes,
    };
    // Without a listener BullMQ prints each connection error of a queue while Redis is away; the relay's own
    // publishing failures already tell the outage once, so these only keep it from being told per reconnect.
    for (const queue of Object.values(this.queues)) queue.on('error', (error: unknown) => void this.redisOutage.failed(error, 'queue connection'));
    // Right after each commit that recorded jobs, and only then: nothing after a commit that recorded none.
    transactions.afterOutboxCommit((entries) => this.publishCommitted(entries));
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), OUTBOX_SWEEP_MS);
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all([this.running, ...this.committed]);
    // The marks still waiting for their window, now (flushMarks clears the window's timer).
    await this.flushMarks();
  }

  /**
   * Publishes a commit's jobs from memory, then marks them: no pass over the outbox (BEGIN, SELECT, UPDATE,
   * COMMIT) for the jobs the app itself just recorded. A job that fails to publish is left to a pass, run at
   * once, which tells an outage from a bad row and counts the row's attempts. A commit that recorded rows
   * without saying which (outboxWritten alone) gets that pass too.
   */
  private publishCommitted(entries: readonly NewOutboxEntry[]): void {
    if (this.stopped) return;
    if (!entries.length) return this.kick();
    const publishing: Promise<void> = Promise.allSettled(entries.map((e) => this.publish(e))).then((results) => {
      const published = entries.filter((_, i) => results[i].status === 'fulfilled');
      if (published.length < entries.length) this.kick();
      if (published.length) this.mark(published);
    });
    const tracked = publishing.finally(() => this.committed.delete(tracked));
    this.committed.add(tracked);
  }

  /** Marks published jobs within MARK_AFTER_MS, together with every other job published meanwhile. */
  private mark(jobs: readonly { queue: string; jobId: string }[]): void {
    this.unmarked.push(...jobs.map(({ queue, jobId }) => ({ queue, jobId })));
    if (this.stopped) void this.flushMarks();
    else this.markTimer ??= setTimeout(() => void this.flushMarks(), MARK_AFTER_MS);
  }

  /** Marks what waits, in one statement (and what arrives while it runs, in the next). */
  private flushMarks(): Promise<void> {
    clearTimeout(this.markTimer);
    this.markTimer = undefined;
    this.marking ??= this.markUnmarked().finally(() => {
      this.marking = undefined;
      if (this.unmarked.length) this.mark([]);
    });
    return this.marking;
  }

  private async markUnmarked(): Promise<void> {
    try {
      while (this.unmarked.length) {
        const batch = this.unmarked;
        this.unmarked = [];
        await this.outbox.markPublishedJobs(batch);
      }
      this.postgresOutage.recovered();
    } catch (error) {
      // Left unmarked: a later pass publishes them again under the same job ids, a no-op.
      this.unmarked = [];
      this.postgresOutage.failed(error, 'the outbox relay will publish them again');
    }
  }

  /** Publish now rather than at the next poll (after each commit that recorded jobs, see the constructor). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .then(() => this.postgresOutage.recovered())
      .catch((error: unknown) => void this.postgresOutage.failed(error, 'the outbox relay will retry'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Publishes until nothing is left (or Redis is away); resolves with the number of rows settled. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const settled = await this.publishBatch();
      total += settled;
      if (settled < BATCH || this.stopped) return total;
    }
  }

  /** Publishes a batch; the number of rows it settled (published or failed), 0 when nothing is left or Redis is away. */
  private publishBatch(): Promise<number> {
    return this.transactions.run(async (m) => {
      const rows = await this.outbox.lockUnpublished(m, BATCH);
      const published: string[] = [];
      let settled = 0;
      for (const row of rows) {
        try {
          await this.publish(row);
          published.push(row.id);
          settled++;
          this.redisOutage.recovered();
        } catch (error) {
          // Redis away: nothing is the row's fault; what was published is marked, the rest waits for Redis. A
          // publish that timed out may still land: the row is published again later under the same job id, a no-op.
          if (error instanceof PublishTimedOut || !(await this.redisAnswers())) {
            this.redisOutage.failed(error, 'publishing resumes when it answers');
            break;
          }
          if (await this.recordFailure(m, row, error)) settled++;
        }
      }
      if (published.length) await this.outbox.markPublished(m, published);
      return settled;
    });
  }

  /** Adds the job to its queue under its own job id, within PUBLISH_TIMEOUT_MS. */
  private async publish(entry: Pick<NewOutboxEntry, 'queue' | 'name' | 'jobId' | 'data'> & { runAt?: Date | null }): Promise<void> {
    const queue = this.queues[entry.queue as QueueName];
    if (!queue) throw new Error(`no queue named ${entry.queue}`);
    const delay = entry.runAt ? Math.max(0, entry.runAt.getTime() - Date.now()) : undefined;
    await settleWithin(
      queue.add(entry.name, entry.data, { ...publishOptions(entry.queue as QueueName, entry.name, this.config), jobId: entry.jobId, delay }),
      PUBLISH_TIMEOUT_MS,
      () => Promise.reject(new PublishTimedOut(`no answer within ${PUBLISH_TIMEOUT_MS} ms`)),
    );
  }

  /** Counts a failed attempt; at the last one the row is set aside as failed and audited. Returns whether it was. */
  private async recordFailure(m: EntityManager, row: PendingOutboxEntry, error: unknown): Promise<boolean> {
    const reason = error instanceof Error ? error.message : String(error);
    const failed = await this.outbox.recordFailure(m, row.id, reason, OUTBOX_ATTEMPTS);
    if (failed) {
      this.logger.error(`outbox row ${row.id} (${row.queue}/${row.name}) failed for good: ${reason}`);
      await this.audit.append(m, {
        event: 'outbox_row_failed',
        detail: { outboxId: row.id, queue: row.queue, name: row.name, jobId: row.jobId, reason },
      });
    }
    return failed;
  }

  private redisAnswers(): Promise<boolean> {
    const probe = this.queues[QueueName.Confirmations].getJobCounts('waiting').then(() => true);
    return settleWithin(
      probe.catch(() => false),
      PROBE_TIMEOUT_MS,
      () => false,
    );
  }
}
