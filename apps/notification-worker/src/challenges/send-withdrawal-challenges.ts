import { APP_CONFIG, AppConfig } from '@app/config';
import { ChallengeRepository } from '@app/database';
import { challengeJobOptions, jobId, JobSigner, QueueName } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';

/**
 * Fans a new withdrawal out into one email job and one push job per live device, each on its channel's
 * queue, with deterministic ids so a redelivery adds nothing new; run again (by the confirmation service's
 * reconciler) it puts back whichever of them Redis lost. Devices over the customer's hourly push budget are skipped
 * (push bombing), and the skip is audited.
 */
@Injectable()
export class SendWithdrawalChallenges {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly challenges: ChallengeRepository,
    @InjectQueue(QueueName.ChallengeEmails) private readonly emails: Queue,
    @InjectQueue(QueueName.Pushes) private readonly pushes: Queue,
    private readonly signer: JobSigner,
  ) {}

  async execute(withdrawalId: string): Promise<{ email: number; push: number; pushSkipped: number }> {
    // Counted and spent under one lock per customer, in one statement: concurrent fan-outs for one customer
    // take turns, and each reserves its pushes (challenge rows) before the next one counts.
    const fanOut = await this.challenges.fanOutPushes(withdrawalId, this.config.pushesPerHour);
    if (!fanOut) return { email: 0, push: 0, pushSkipped: 0 };
    const { allowed, skipped } = fanOut;
    const options = challengeJobOptions(this.config);
    const job = <N extends string, D extends object>(queue: QueueName, name: N, id: string, data: D) => ({
      name,
      data: this.signer.sign(queue, name, id, data),
      opts: { ...options, jobId: id },
    });
    await Promise.all([
      this.emails.addBulk([job(QueueName.ChallengeEmails, 'send-challenge-email', jobId('email', withdrawalId), { withdrawalId })]),
      this.pushes.addBulk(
        allowed.map((subscriptionId) =>
          job(QueueName.Pushes, 'send-challenge-push', jobId('push', withdrawalId, subscriptionId), { withdrawalId, subscriptionId }),
        ),
      ),
    ]);
    return { email: 1, push: allowed.length, pushSkipped: skipped };
  }
}
