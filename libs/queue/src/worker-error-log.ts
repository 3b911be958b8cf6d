import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { failureReason } from './liveness/outage-log';
import { appWorkers } from './worker-drain';

/** How long the same worker error is told once: a Redis away makes every worker fail every retry delay. */
const QUIET_MS = 30_000;

/**
 * Every BullMQ worker of the app gets an `error` listener: without one, an error event (Redis gone, a job's
 * keys lost with Redis's data) is an unhandled EventEmitter error. The worker itself retries; the error is
 * logged once per worker and reason in QUIET_MS, with how many were not repeated.
 */
@Injectable()
export class WorkerErrorLog implements OnApplicationBootstrap {
  private readonly logger = new Logger('worker');
  private readonly lastTold = new Map<string, { at: number; quiet: number }>();

  constructor(private readonly discovery: DiscoveryService) {}

  onApplicationBootstrap(): void {
    for (const worker of appWorkers(this.discovery)) worker.on('error', (error: Error) => this.told(worker.name, error));
  }

  private told(queue: string, error: Error): void {
    const reason = failureReason(error);
    const key = `${queue} ${reason}`;
    const last = this.lastTold.get(key);
    if (last && Date.now() - last.at < QUIET_MS) {
      last.quiet++;
      return;
    }
    this.logger.warn(`${queue}: ${reason}: ${error.message}${last?.quiet ? ` (and ${last.quiet} more like it since)` : ''}`);
    this.lastTold.set(key, { at: Date.now(), quiet: 0 });
  }
}
