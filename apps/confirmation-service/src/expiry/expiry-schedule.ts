import { QueueName } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Queue } from 'bullmq';

export const SWEEP_EVERY_MS = 15_000;

/** The sweeper behind the per-withdrawal delayed jobs: one scheduler however many replicas start. */
@Injectable()
export class ExpirySchedule implements OnApplicationBootstrap {
  constructor(@InjectQueue(QueueName.Confirmations) private readonly confirmations: Queue) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.confirmations.upsertJobScheduler(
      'sweep-expired',
      { every: SWEEP_EVERY_MS },
      { name: 'sweep-expired', data: {}, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
    );
  }
}
