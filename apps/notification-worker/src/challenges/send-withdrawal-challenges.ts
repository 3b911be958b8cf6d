import { APP_CONFIG, AppConfig } from '@app/config';
import { ChallengeRepository } from '@app/database';
import { challengeJobOptions, jobId, JobSigner, QueueName } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { IssueOutcome } from './challenge-issuer';
import { SendChallengePush } from './send-challenge-push';

/** Where the first device's push goes: sent by the fan-out itself (on the pushes queue), or as a job of its own. */
export type FirstPush = 'sent-here' | 'queued';

export interface FanOutResult {
  email: number;
  push: number;
  pushSkipped: number;
  /** The first device's push, when this fan-out sent it. */
  firstPush?: IssueOutcome;
}

/**
 * Fans a new withdrawal out into one email job and one push job per live device, each on its channel's
 * queue, with deterministic ids so a redelivery adds nothing new; run again (by the confirmation service's
 * reconciler) it puts back whichever of them Redis lost. Devices over the customer's hourly push budget are
 * skipped (push bombing), and the skip is audited. On the pushes queue (the API's jobs since session 26) the
 * first device's push is sent here rather than by a job of its own: one job fewer per withdrawal, in the
 * slots where pushes run, so that a push service that hangs holds a push slot and never an email's. The
 * email job is added first, so a push that hangs never delays it.
 */
@Injectable()
export class SendWithdrawalChallenges {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly challenges: ChallengeRepository,
    @InjectQueue(QueueName.ChallengeEmails) private readonly emails: Queue,
    @InjectQueue(QueueName.Pushes) private readonly pushes: Queue,
    private readonly signer: JobSigner,
    private readonly push: SendChallengePush,
  ) {}

  async execute(withdrawalId: string, firstPush: FirstPush): Promise<FanOutResult> {
    // Counted and spent under one lock per customer, in one statement: concurrent fan-outs for one customer
    // take turns, and each reserves its pushes (challenge rows) before the next one counts.
    const fanOut = await this.challenges.fanOutPushes(withdrawalId, this.config.pushesPerHour);
    if (!fanOut) return { email: 0, push: 0, pushSkipped: 0 };
    const { allowed, skipped } = fanOut;
    const [here, queued] = firstPush === 'sent-here' ? [allowed[0], allowed.slice(1)] : [undefined, allowed];
    const options = challengeJobOptions(this.config);
    const job = <N extends string, D extends object>(queue: QueueName, name: N, id: string, data: D) => ({
      name,
      data: this.signer.sign(queue, name, id, data),
      opts: { ...options, jobId: id },
    });
    await Promise.all([
      this.emails.addBulk([job(QueueName.ChallengeEmails, 'send-challenge-email', jobId('email', withdrawalId), { withdrawalId })]),
      queued.length > 0 &&
        this.pushes.addBulk(
          queued.map((subscriptionId) =>
            job(QueueName.Pushes, 'send-challenge-push', jobId('push', withdrawalId, subscriptionId), { withdrawalId, subscriptionId }),
          ),
        ),
    ]);
    const result: FanOutResult = { email: 1, push: allowed.length, pushSkipped: skipped };
    // Retried with this job when it fails (its challenge's claim given back); a busy push service defers the job.
    if (here) result.firstPush = await this.push.execute(withdrawalId, here);
    return result;
  }
}
