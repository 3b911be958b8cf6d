import { ChallengeEmailJob, JobGate, QueueName, ReceivedJob, WORKER_OPTIONS } from '@app/queue';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { SendChallengeEmail } from './challenges/send-challenge-email';

/**
 * Challenge emails, on a queue and worker of their own: a slow or absent push service never holds up an
 * email. Each job is retried (capped backoff) until its email is sent or its withdrawal has ended.
 */
@Processor(QueueName.ChallengeEmails, { ...WORKER_OPTIONS, concurrency: 8 })
export class ChallengeEmailsConsumer extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(ChallengeEmailsConsumer.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gate: JobGate,
    private readonly email: SendChallengeEmail,
  ) {
    super();
  }

  /** This channel's own number of slots (EMAIL_CONCURRENCY). */
  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.delivery.emailConcurrency;
  }

  async process(job: Job): Promise<unknown> {
    await this.gate.admit(job);
    const typed = job as ReceivedJob<ChallengeEmailJob>;
    switch (typed.name) {
      case 'send-challenge-email':
        return this.email.execute(typed.data.withdrawalId);
      default: {
        const unknown: never = typed.name;
        throw new UnrecoverableError(`unknown challenge email job ${String(unknown)}`);
      }
    }
  }

  /** Failures, for operators: the job's name and id and the reason — never its data. */
  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    this.logger.warn(
      `job ${QueueName.ChallengeEmails}/${job?.name ?? '?'} ${job?.id ?? '?'} failed (attempt ${job?.attemptsMade ?? 0}): ${error.message}`,
    );
  }
}
