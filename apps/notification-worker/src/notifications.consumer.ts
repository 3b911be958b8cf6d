import { NotificationJob, QueueName, ReceivedJob } from '@app/queue';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { SendSecurityAlert } from './alerts/send-security-alert';
import { SendChallengeEmail } from './challenges/send-challenge-email';
import { SendChallengePush } from './challenges/send-challenge-push';
import { SendWithdrawalChallenges } from './challenges/send-withdrawal-challenges';
import { SendEmailVerification } from './email-verification/send-email-verification';
import { SendOutcomeEmail } from './outcomes/send-outcome-email';

/** Challenges, outcomes, verifications and alerts. Errors propagate so attempts and backoff apply. */
@Processor(QueueName.Notifications, { concurrency: 8 })
export class NotificationsConsumer extends WorkerHost {
  constructor(
    private readonly fanOut: SendWithdrawalChallenges,
    private readonly email: SendChallengeEmail,
    private readonly push: SendChallengePush,
    private readonly outcome: SendOutcomeEmail,
    private readonly verification: SendEmailVerification,
    private readonly alert: SendSecurityAlert,
  ) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    const typed = job as ReceivedJob<NotificationJob>;
    switch (typed.name) {
      case 'send-withdrawal-challenges':
        return this.fanOut.execute(typed.data.withdrawalId);
      case 'send-challenge-email':
        return this.email.execute(typed.data.withdrawalId);
      case 'send-challenge-push':
        return this.push.execute(typed.data.withdrawalId, typed.data.subscriptionId);
      case 'send-outcome-email':
        return this.outcome.execute(typed.data.withdrawalId);
      case 'send-email-verification':
        return this.verification.execute(typed.data.verificationId);
      case 'send-security-alert':
        return this.alert.execute(typed.data);
      default: {
        const unknown: never = typed;
        throw new UnrecoverableError(`unknown notification job ${(unknown as Job).name}`);
      }
    }
  }
}
