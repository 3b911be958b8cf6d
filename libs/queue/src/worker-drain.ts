import { WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Worker } from 'bullmq';

/** The BullMQ workers of the app: one per `WorkerHost` provider (its consumers). */
export function appWorkers(discovery: DiscoveryService): Worker[] {
  return discovery
    .getProviders()
    .map((wrapper) => wrapper.instance as unknown)
    .filter((instance): instance is WorkerHost<Worker> => instance instanceof WorkerHost)
    .map((host) => host.worker);
}

/**
 * Graceful shutdown: before any connection closes (Postgres, Redis, SMTP: their own shutdown hooks come
 * after this one), every BullMQ worker of the app stops taking jobs and waits for those in progress.
 */
@Injectable()
export class WorkerDrain implements BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerDrain.name);

  constructor(private readonly discovery: DiscoveryService) {}

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const workers = appWorkers(this.discovery);
    if (!workers.length) return;
    this.logger.log(`${signal ?? 'shutdown'}: finishing the jobs in progress`);
    await Promise.all(workers.map((worker) => worker.close()));
    this.logger.log('jobs in progress finished');
  }
}
