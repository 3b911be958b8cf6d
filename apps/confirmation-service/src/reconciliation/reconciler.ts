import { APP_CONFIG, AppConfig } from '@app/config';
import { AdvisoryLeadership, OpenWithdrawal, OutboxRepository, PendingOutboxEntry, WithdrawalRepository } from '@app/database';
import { JOB_OPTIONS, jobId, JobSigner, publishOptions, QueueName, settleWithin } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { ExpirySchedule } from '../expiry/expiry-schedule';
import { HandOffs } from './hand-offs';

/** Rows looked at per kind and pass: a backlog larger than this is worked off over the next passes. */
const BATCH = 500;
const PROBE_TIMEOUT_MS = 1000;
const UNFINISHED = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** What one pass put back (or recorded), by kind. */
export interface ReconcileReport {
  sweepSchedule: number;
  postings: number;
  handOffs: number;
  expiries: number;
  challenges: number;
}

/**
 * Postgres is the truth and Redis a transport that may forget (a restart without persistence, a failover
 * to an empty replica, a FLUSHALL). Every RECONCILE_INTERVAL the leader among the confirmation services
 * derives from Postgres what should be in flight and publishes again whatever Redis no longer holds:
 * postings the wallet has not acknowledged, the expiry of every open withdrawal, the sweep schedule, and
 * the challenges of open withdrawals not yet delivered. Jobs are published as their outbox rows recorded
 * and signed them, under the same deterministic ids: what Redis still holds is left alone, and consumers
 * dedupe the rest.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Reconciler.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly leadership: AdvisoryLeadership,
    private readonly withdrawals: WithdrawalRepository,
    private readonly outbox: OutboxRepository,
    private readonly signer: JobSigner,
    private readonly schedule: ExpirySchedule,
    private readonly handOffs: HandOffs,
    @InjectQueue(QueueName.Confirmations) private readonly confirmations: Queue,
    @InjectQueue(QueueName.WithdrawalsPosted) private readonly posted: Queue,
    @InjectQueue(QueueName.Notifications) private readonly notifications: Queue,
    @InjectQueue(QueueName.ChallengeEmails) private readonly emails: Queue,
    @InjectQueue(QueueName.Pushes) private readonly pushes: Queue,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.config.reconcileIntervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running || this.stopped) return;
    this.running = this.pass()
      .then((report) => {
        const restored = report && Object.entries(report).filter(([, n]) => n > 0);
        if (restored?.length) this.logger.warn(`reconciled from Postgres: ${restored.map(([kind, n]) => `${kind} ${n}`).join(', ')}`);
      })
      .catch((error: unknown) => this.logger.warn(`reconciliation will retry: ${(error as Error).message}`))
      .finally(() => (this.running = undefined));
  }

  /** One pass, when this replica leads and Redis answers; what it put back. */
  async pass(): Promise<ReconcileReport | undefined> {
    if (!(await this.leadership.lead('countersign:reconciler'))) return undefined;
    if (!(await this.redisAnswers())) return undefined;
    // Younger than one interval: still on its way through the outbox relay, not missing.
    const before = new Date(Date.now() - this.config.reconcileIntervalMs);
    const sweepSchedule = (await this.schedule.exists()) ? 0 : (await this.schedule.ensure(), 1);
    const { postings, handOffs } = await this.postings(before);
    const open = await this.withdrawals.openSince(before, BATCH);
    return { sweepSchedule, postings, handOffs, expiries: await this.expiries(open), challenges: await this.challenges(open) };
  }

  /** Posted, not acknowledged by the wallet: published again when Redis lost the job, recorded when the wallet completed it unheard. */
  private async postings(before: Date): Promise<{ postings: number; handOffs: number }> {
    const ids = await this.withdrawals.awaitingHandOff(before, BATCH);
    const jobs = await this.jobsOf(this.posted, ids);
    let postings = 0;
    let handOffs = 0;
    const missing: string[] = [];
    for (const id of ids) {
      const job = jobs.get(id);
      if (!job) missing.push(id);
      else {
        const state = await job.getState();
        if (state === 'completed' && (await this.handOffs.record(id))) handOffs++;
        if (state === 'failed') {
          await job.retry('failed');
          postings++;
        }
      }
    }
    postings += await this.republish(this.posted, QueueName.WithdrawalsPosted, missing);
    return { postings, handOffs };
  }

  /** Every open withdrawal has its expiry job: the one its outbox row recorded, or a fresh one signed here. */
  private async expiries(open: OpenWithdrawal[]): Promise<number> {
    const ids = open.map((w) => jobId('expire', w.id));
    const jobs = await this.jobsOf(this.confirmations, ids);
    const missing = open.filter((w) => !jobs.has(jobId('expire', w.id)));
    const fromOutbox = await this.republish(
      this.confirmations,
      QueueName.Confirmations,
      missing.map((w) => jobId('expire', w.id)),
    );
    if (fromOutbox === missing.length) return fromOutbox;
    let signed = 0;
    for (const w of missing) {
      const id = jobId('expire', w.id);
      if (await this.confirmations.getJob(id)) continue;
      const data = this.signer.sign(QueueName.Confirmations, 'expire-withdrawal', id, { withdrawalId: w.id });
      await this.confirmations.add('expire-withdrawal', data, {
        ...JOB_OPTIONS[QueueName.Confirmations],
        jobId: id,
        delay: Math.max(0, w.expiresAt.getTime() - Date.now()),
      });
      signed++;
    }
    return fromOutbox + signed;
  }

  /**
   * An open withdrawal whose email or push challenge is neither delivered nor on its way has its fan-out
   * (the API's send-withdrawal-challenges job) run again: it adds whichever challenge jobs are missing, and
   * on the pushes queue sends the pushes itself (they have no jobs of their own: the fan-out still in Redis,
   * unfinished, is them on their way). Fan-outs of withdrawals requested before they moved to the
   * pushes queue are on the notifications queue: each is published again on the queue its outbox row names.
   */
  private async challenges(open: OpenWithdrawal[]): Promise<number> {
    const now = Date.now();
    const owing = open.filter((w) => w.expiresAt.getTime() > now && (w.emailOwed || w.pushesOwed.length > 0));
    const emails = await this.jobsOf(
      this.emails,
      owing.filter((w) => w.emailOwed).map((w) => jobId('email', w.id)),
    );
    const pushes = await this.jobsOf(
      this.pushes,
      owing.flatMap((w) => w.pushesOwed.map((s) => jobId('push', w.id, s))),
    );
    const lost = owing.filter(
      (w) => (w.emailOwed && !emails.has(jobId('email', w.id))) || w.pushesOwed.some((s) => !pushes.has(jobId('push', w.id, s))),
    );
    const fanOuts = lost.map((w) => jobId('challenges', w.id));
    let republished = 0;
    for (const [queue, name] of [
      [this.pushes, QueueName.Pushes],
      [this.notifications, QueueName.Notifications],
    ] as const) {
      const present = await this.jobsOf(queue, fanOuts);
      const rerun: string[] = [];
      for (const id of fanOuts) {
        const job = present.get(id);
        if (!job) rerun.push(id);
        else if (!UNFINISHED.has(await job.getState())) {
          // Finished long ago: it goes, so that the same job (same id, same signature) can run once more.
          await job.remove();
          rerun.push(id);
        }
      }
      // Only the fan-outs whose outbox row names this queue are published on it.
      republished += await this.republish(queue, name, rerun);
    }
    return republished;
  }

  /** Publishes these job ids again from their outbox rows, as recorded and signed; how many it published. */
  private async republish(queue: Queue, name: QueueName, jobIds: string[]): Promise<number> {
    const rows: PendingOutboxEntry[] = await this.outbox.byJobIds(name, jobIds);
    for (const row of rows) {
      const delay = row.runAt ? Math.max(0, row.runAt.getTime() - Date.now()) : undefined;
      await queue.add(row.name, row.data, { ...publishOptions(name, row.name, this.config), jobId: row.jobId, delay });
    }
    return rows.length;
  }

  /** The jobs Redis still holds among these ids, by id. */
  private async jobsOf(queue: Queue, ids: string[]): Promise<Map<string, Job>> {
    const found = new Map<string, Job>();
    const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
    jobs.forEach((job, i) => job && found.set(ids[i], job));
    return found;
  }

  private redisAnswers(): Promise<boolean> {
    const probe = this.confirmations.getJobCounts('waiting').then(() => true);
    return settleWithin(
      probe.catch(() => false),
      PROBE_TIMEOUT_MS,
      () => false,
    );
  }
}
