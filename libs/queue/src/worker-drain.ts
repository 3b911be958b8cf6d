import { WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';

/**
 * Graceful shutdown: before any connection closes (Postgres, Redis, SMTP: their own shutdown hooks come
 * after this one), every BullMQ worker of the app stops taking jobs and waits for those in progress.
 */
@Injectable()
export class WorkerDrain implements BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerDrain.name);

  constructor(private readonly discovery: DiscoveryService) {}

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const hosts = this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is WorkerHost => instance instanceof WorkerHost);
    if (!hosts.length) return;
    this.logger.log(`${signal ?? 'shutdown'}: finishing the jobs in progress`);
    await Promise.all(hosts.map((host) => host.worker.close()));
    this.logger.log('jobs in progress finished');
  }
}
