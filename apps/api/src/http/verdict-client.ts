import { APP_CONFIG, AppConfig } from '@app/config';
import { Verdict, VerdictOk } from '@app/domain';
import { ConfirmationJob, EVIDENCE_JOB_OPTIONS, QueueName, redisConnection } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { Problem } from './problem';

/**
 * Relays evidence to the confirmation service and waits briefly for its verdict. The API decides
 * nothing itself: it only turns the verdict into an HTTP answer.
 */
@Injectable()
export class VerdictClient implements OnModuleInit, OnApplicationShutdown {
  private readonly events: QueueEvents;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QueueName.Confirmations) private readonly confirmations: Queue,
  ) {
    this.events = new QueueEvents(QueueName.Confirmations, {
      connection: redisConnection(config.redisUrl),
      prefix: config.queuePrefix,
    });
    // Every waiting request listens on both emitters until its verdict arrives; hundreds at once are normal.
    this.events.setMaxListeners(0);
    this.confirmations.setMaxListeners(0);
  }

  async onModuleInit(): Promise<void> {
    await this.events.waitUntilReady();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.events.close();
  }

  async ask(job: ConfirmationJob): Promise<VerdictOk> {
    const added = await this.confirmations.add(job.name, job.data, { ...EVIDENCE_JOB_OPTIONS, jobId: randomUUID() });
    let verdict: Verdict;
    try {
      verdict = (await added.waitUntilFinished(this.events, this.config.verdictTimeoutMs)) as Verdict;
    } catch {
      // Timed out or failed: nothing was decided that the customer can rely on; the status document tells.
      throw new Problem('verdict_unavailable', 'try again, or check the withdrawal status');
    }
    if (verdict.ok) return verdict;
    const headers: Record<string, string> = verdict.retryAfterSeconds ? { 'retry-after': String(verdict.retryAfterSeconds) } : {};
    throw new Problem(verdict.code, verdict.detail, headers);
  }
}
