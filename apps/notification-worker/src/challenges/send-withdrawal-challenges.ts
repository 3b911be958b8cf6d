import { APP_CONFIG, AppConfig } from '@app/config';
import { hashToken, newToken } from '@app/crypto';
import { ChallengeRepository, PushFanOut } from '@app/database';
import { challengeJobOptions, jobId, JobSigner, QueueName } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { deliveryLeaseSeconds } from '../deliveries/leased-delivery';
import { PushServiceBusy } from '../push/push-service-slots';
import { IssueOutcome } from './challenge-issuer';
import { SendChallengePush } from './send-challenge-push';

/**
 * How many of a withdrawal's pushes the fan-out's own statement takes (a token made for each): a customer
 * rarely has more devices; a further device's push takes its challenge in a statement of its own.
 */
const PUSHES_TAKEN_BY_FAN_OUT = 4;

/** Who sends the pushes: the fan-out itself (on the pushes queue), or a job per device (fan-outs still on notifications). */
export type PushDelivery = 'sent-here' | 'queued';

export interface FanOutResult {
  email: number;
  push: number;
  pushSkipped: number;
  /** Each device's push, when this fan-out sent them. */
  pushes?: IssueOutcome[];
}

/**
 * Fans a new withdrawal out into its challenges: the email's job, on its queue, with a deterministic id so a
 * redelivery adds nothing new, and a push to each live device within the customer's hourly push budget
 * (push bombing; a skip is audited). On the pushes queue (the API's jobs since session 26) the fan-out sends
 * the pushes itself, all at once, each in its push service's share of the slots: one job per withdrawal
 * instead of one per device, and a withdrawal's pushes cannot be separated by Redis losing some of their
 * jobs. The email's job is added first, so a push service that hangs never holds back the email. Run again
 * (a retry, a busy push service, the confirmation service's reconciler) it sends what is still unsent.
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

  async execute(withdrawalId: string, pushDelivery: PushDelivery): Promise<FanOutResult> {
    // Counted and spent under one lock per customer, in one statement: concurrent fan-outs for one customer
    // take turns, and each reserves its pushes (challenge rows) before the next one counts. The pushes sent
    // here are taken in the same statement, each with its own token (LeasedDelivery: only hashes are stored).
    const tokens = pushDelivery === 'sent-here' ? Array.from({ length: Math.min(PUSHES_TAKEN_BY_FAN_OUT, this.config.pushesPerHour) }, newToken) : [];
    const lease = deliveryLeaseSeconds('push', this.config.delivery);
    const fanOut = await this.challenges.fanOutPushes(withdrawalId, this.config.pushesPerHour, tokens.map(hashToken), lease);
    if (!fanOut) return { email: 0, push: 0, pushSkipped: 0 };
    const { allowed, skipped } = fanOut;
    const queued = pushDelivery === 'queued' ? allowed : [];
    const options = challengeJobOptions(this.config);
    const job = <N extends string, D extends object>(queue: QueueName, name: N, id: string, data: D) => ({
      name,
      data: this.signer.sign(queue, name, id, data),
      opts: { ...options, jobId: id },
    });
    try {
      await Promise.all([
        this.emails.addBulk([job(QueueName.ChallengeEmails, 'send-challenge-email', jobId('email', withdrawalId), { withdrawalId })]),
        queued.length > 0 &&
          this.pushes.addBulk(
            queued.map((subscriptionId) =>
              job(QueueName.Pushes, 'send-challenge-push', jobId('push', withdrawalId, subscriptionId), { withdrawalId, subscriptionId }),
            ),
          ),
      ]);
    } catch (error) {
      // The pushes taken above would stay leased until their lease ran out, holding back this job's retry.
      await Promise.all(fanOut.takes.filter((t) => t.delivery.claimed).map((t) => this.challenges.releaseClaim(t.delivery.id)));
      throw error;
    }
    const result: FanOutResult = { email: 1, push: allowed.length, pushSkipped: skipped };
    if (pushDelivery === 'sent-here' && allowed.length > 0) result.pushes = await this.pushEach(withdrawalId, fanOut, tokens);
    return result;
  }

  /**
   * Every device's push at once: those the fan-out's statement took, with their tokens; any other takes its
   * own (none while the withdrawal is closed). When one fails, the job fails with its error once the others
   * have settled (each failure is audited where it happened, SendFailures): the job's retry sends only what
   * is still unsent. Only busy push services: the job waits its turn (PushServiceBusy), without an attempt
   * counted.
   */
  private async pushEach(withdrawalId: string, fanOut: PushFanOut, tokens: string[]): Promise<IssueOutcome[]> {
    const settled = await Promise.allSettled(
      fanOut.allowed.map((subscriptionId): Promise<IssueOutcome> => {
        const push = fanOut.takes.find((t) => t.device.id === subscriptionId);
        if (push) return this.push.executeTaken(withdrawalId, { withdrawal: fanOut.withdrawal, push }, tokens[push.place]);
        if (!fanOut.open) return Promise.resolve('withdrawal_closed');
        return this.push.execute(withdrawalId, subscriptionId);
      }),
    );
    const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
    const failure = errors.find((e) => !(e instanceof PushServiceBusy)) ?? errors[0];
    if (failure !== undefined) throw failure;
    return settled.map((s) => (s as PromiseFulfilledResult<IssueOutcome>).value);
  }
}
