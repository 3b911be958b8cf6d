import { JobGate, PushJob, QueueName, ReceivedJob, runJob, WORKER_OPTIONS } from '@app/queue';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { SendChallengePush } from './challenges/send-challenge-push';
import { SendWithdrawalChallenges } from './challenges/send-withdrawal-challenges';
import { SendSecurityNotice } from './notices/send-security-notice';
import { deferWhilePushServiceBusy } from './push/push-service-slots';

/**
 * Every push, and new withdrawals' challenge fan-outs (which send their pushes), on a queue and worker of its own: a push service that hangs holds its share of these slots
 * (PushServiceSlots; each for at most PUSH_TIMEOUT) and never an email's. Challenge pushes are retried (capped backoff) until delivered
 * or their withdrawal ends.
 */
@Processor(QueueName.Pushes, { ...WORKER_OPTIONS, concurrency: 16 })
export class PushesConsumer extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(PushesConsumer.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gate: JobGate,
    private readonly fanOut: SendWithdrawalChallenges,
    private readonly push: SendChallengePush,
    private readonly notice: SendSecurityNotice,
  ) {
    super();
  }

  /** This channel's own number of slots (PUSH_CONCURRENCY). */
  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.delivery.pushConcurrency;
  }

  process(job: Job, token?: string): Promise<unknown> {
    return runJob(job, () => deferWhilePushServiceBusy(job, token, () => this.handle(job)));
  }

  private async handle(job: Job): Promise<unknown> {
    await this.gate.admit(job);
    const typed = job as ReceivedJob<PushJob>;
    switch (typed.name) {
      case 'send-withdrawal-challenges':
        return this.fanOut.execute(typed.data.withdrawalId, 'sent-here');
      case 'send-challenge-push':
        return this.push.execute(typed.data.withdrawalId, typed.data.subscriptionId);
      case 'send-notice-push':
        return this.notice.execute(typed.data.deliveryId);
      default: {
        const unknown: never = typed;
        throw new UnrecoverableError(`unknown push job ${(unknown as Job).name}`);
      }
    }
  }

  /** Failures, for operators: the job's name and id and the reason — never its data. */
  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    this.logger.warn(`job ${QueueName.Pushes}/${job?.name ?? '?'} ${job?.id ?? '?'} failed (attempt ${job?.attemptsMade ?? 0}): ${error.message}`);
  }
}
