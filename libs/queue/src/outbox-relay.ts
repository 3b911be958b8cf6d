import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OutboxRepository, Transactions } from '@app/database';
import { Queue } from 'bullmq';
import { JOB_OPTIONS } from './job-options';
import { QueueName } from './queue-name';

const BATCH = 100;
const POLL_MS = 250;

/**
 * Publishes committed outbox rows to BullMQ. Every app runs one; SKIP LOCKED lets them share the work.
 * A crash between publishing and marking republishes the row: job ids are deterministic and every
 * consumer is idempotent, so that is harmless.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly queues: Record<QueueName, Queue>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly transactions: Transactions,
    private readonly outbox: OutboxRepository,
    @InjectQueue(QueueName.Notifications) notifications: Queue,
    @InjectQueue(QueueName.Confirmations) confirmations: Queue,
    @InjectQueue(QueueName.WithdrawalsPosted) posted: Queue,
  ) {
    this.queues = {
      [QueueName.Notifications]: notifications,
      [QueueName.Confirmations]: confirmations,
      [QueueName.WithdrawalsPosted]: posted,
    };
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Publish now rather than at the next poll (called right after a commit that wrote jobs). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn(`outbox relay will retry: ${(error as Error).message}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Publishes until nothing is left; resolves with the number of rows published. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.publishBatch();
      total += published;
      if (published < BATCH || this.stopped) return total;
    }
  }

  private publishBatch(): Promise<number> {
    return this.transactions.run(async (m) => {
      const rows = await this.outbox.lockUnpublished(m, BATCH);
      if (!rows.length) return 0;
      for (const row of rows) {
        const queue = row.queue as QueueName;
        const delay = row.runAt ? Math.max(0, row.runAt.getTime() - Date.now()) : undefined;
        await this.queues[queue].add(row.name, row.data, { ...JOB_OPTIONS[queue], jobId: row.jobId, delay });
      }
      await this.outbox.markPublished(
        m,
        rows.map((r) => r.id),
      );
      return rows.length;
    });
  }
}
