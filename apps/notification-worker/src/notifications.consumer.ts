import { JobGate, NotificationJob, QueueName, ReceivedJob, runJob, WORKER_OPTIONS } from '@app/queue';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { SendOperatorAlert } from './alerts/send-operator-alert';
import { SendSecurityAlert } from './alerts/send-security-alert';
import { SendChallengeEmail } from './challenges/send-challenge-email';
import { SendChallengePush } from './challenges/send-challenge-push';
import { SendWithdrawalChallenges } from './challenges/send-withdrawal-challenges';
import { SendEmailVerification } from './email-verification/send-email-verification';
import { SendSecurityNotice } from './notices/send-security-notice';
import { deferWhilePushServiceBusy } from './push/push-service-slots';
import { SendOutcomeEmail } from './outcomes/send-outcome-email';

/**
 * Challenges, outcomes, verifications and alerts, each job obeyed only when signed by an app allowed to
 * produce it (JobGate). Errors propagate so attempts and backoff apply.
 */
@Processor(QueueName.Notifications, { ...WORKER_OPTIONS, concurrency: 8 })
export class NotificationsConsumer extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(NotificationsConsumer.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gate: JobGate,
    private readonly fanOut: SendWithdrawalChallenges,
    private readonly email: SendChallengeEmail,
    private readonly push: SendChallengePush,
    private readonly outcome: SendOutcomeEmail,
    private readonly verification: SendEmailVerification,
    private readonly alert: SendSecurityAlert,
    private readonly notice: SendSecurityNotice,
    private readonly operatorAlert: SendOperatorAlert,
  ) {
    super();
  }

  /** NOTIFICATION_CONCURRENCY: the decorator's value is static; most of a job's time is spent waiting on peers. */
  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.notificationConcurrency;
  }

  process(job: Job, token?: string): Promise<unknown> {
    return runJob(job, () => deferWhilePushServiceBusy(job, token, () => this.handle(job)));
  }

  private async handle(job: Job): Promise<unknown> {
    await this.gate.admit(job);
    const typed = job as ReceivedJob<NotificationJob>;
    switch (typed.name) {
      // Queued before challenges moved to queues of their own (challenge-emails, pushes): every push as a job.
      case 'send-withdrawal-challenges':
        return this.fanOut.execute(typed.data.withdrawalId, 'queued');
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
      // send-notice-push here was queued before pushes moved to a queue of their own.
      case 'send-notice-email':
      case 'send-notice-push':
        return this.notice.execute(typed.data.deliveryId);
      case 'send-operator-alert':
        return this.operatorAlert.execute(typed.data);
      default: {
        const unknown: never = typed;
        throw new UnrecoverableError(`unknown notification job ${(unknown as Job).name}`);
      }
    }
  }

  /** Failures, for operators: the job's queue, name and id and the reason — never its data. */
  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    this.logger.warn(
      `job ${job?.queueName ?? '?'}/${job?.name ?? '?'} ${job?.id ?? '?'} failed (attempt ${job?.attemptsMade ?? 0}): ${error.message}`,
    );
  }
}
