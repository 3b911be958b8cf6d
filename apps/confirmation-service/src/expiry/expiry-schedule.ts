import { JobSigner, QueueName } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Queue } from 'bullmq';

export const SWEEP_EVERY_MS = 15_000;
const SWEEP_SCHEDULER = 'sweep-expired';

/** The sweeper behind the per-withdrawal delayed jobs: one scheduler however many replicas start. */
@Injectable()
export class ExpirySchedule implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(QueueName.Confirmations) private readonly confirmations: Queue,
    private readonly signer: JobSigner,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensure();
  }

  /** Whether the schedule is in Redis (a Redis that lost its data has none). */
  async exists(): Promise<boolean> {
    return (await this.confirmations.getJobScheduler(SWEEP_SCHEDULER)) !== undefined;
  }

  async ensure(): Promise<void> {
    await this.confirmations.upsertJobScheduler(
      SWEEP_SCHEDULER,
      { every: SWEEP_EVERY_MS },
      // Every repetition gets an id of the scheduler's own: signed for any id ('*'), and harmless if replayed.
      {
        name: 'sweep-expired',
        data: this.signer.sign(QueueName.Confirmations, 'sweep-expired', '*', {}),
        opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
      },
    );
  }
}
