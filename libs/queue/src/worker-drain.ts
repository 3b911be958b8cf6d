import { APP_CONFIG, AppConfig } from '@app/config';
import { WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Worker } from 'bullmq';
import { settleWithin } from './settle-within';

/** The BullMQ workers of the app: one per `WorkerHost` provider (its consumers). */
export function appWorkers(discovery: DiscoveryService): Worker[] {
  return discovery
    .getProviders()
    .map((wrapper) => wrapper.instance as unknown)
    .filter((instance): instance is WorkerHost<Worker> => instance instanceof WorkerHost)
    .map((host) => host.worker);
}

/** Beyond the longest a job may take (its SMTP or push exchange), what a drain allows before it gives up. */
export const DRAIN_MARGIN_MS = 5_000;

/**
 * Graceful shutdown: before any connection closes (Postgres, Redis, SMTP: their own shutdown hooks come
 * after this one), every BullMQ worker of the app stops taking jobs and waits for those in progress — for as
 * long as the longest job may take (SMTP_TIMEOUT, PUSH_TIMEOUT) and a margin, no longer. A worker that has not
 * closed by then (a close that never resolves was seen after Redis restarts: its connection parked while
 * reconnecting, or a connection being set up when Redis went away) has its connections closed by force, so
 * that the process still exits: a job it was running is not lost, its lock lapses and the stalled check
 * hands it to another worker, and every consumer is idempotent.
 */
@Injectable()
export class WorkerDrain implements BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerDrain.name);
  private readonly deadlineMs: number;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.deadlineMs = Math.max(config.delivery.smtpTimeoutMs, config.delivery.pushTimeoutMs) + DRAIN_MARGIN_MS;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const workers = appWorkers(this.discovery);
    if (!workers.length) return;
    this.logger.log(`${signal ?? 'shutdown'}: finishing the jobs in progress`);
    const closedInTime = await Promise.all(workers.map((worker) => this.closeWithin(worker)));
    if (closedInTime.every(Boolean)) this.logger.log('jobs in progress finished');
  }

  /** Whether the worker closed in time; if not, its connections are closed by force. */
  private async closeWithin(worker: Worker): Promise<boolean> {
    const closed = await settleWithin(
      worker.close().then(() => true),
      this.deadlineMs,
      () => false,
    );
    if (!closed) {
      this.logger.error(
        `worker ${worker.name} did not close within ${this.deadlineMs / 1000} s: closing its connections by force; a job it was running goes back to the queue`,
      );
      // Its connections closed by force: Worker.disconnect() would first wait for a connection still being set
      // up, and one set up while Redis went away waits for Redis; a forced close ends it at once.
      await worker.backend.close(true);
    }
    return closed;
  }
}
