import { APP_CONFIG, AppConfig } from '@app/config';
import { Verdict, VerdictOk } from '@app/domain';
import {
  ConfirmationEvidence,
  ConfirmationJob,
  EVIDENCE_JOB_OPTIONS,
  EvidenceJobName,
  EvidenceSealer,
  JobSigner,
  QueueName,
  redisConnection,
} from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { DependencyOutages } from '../health/dependency-outages';
import { Problem } from './problem';
import { unavailableProblem } from './problem.filter';

/** A confirmation job's data as the API states it, before its evidence is sealed in. */
export type ClearData<N extends ConfirmationJob['name']> = Omit<Extract<ConfirmationJob, { name: N }>['data'], 'sealed'>;

/** The evidence argument: required for the jobs that carry evidence, absent for the others. */
type EvidenceArgument<N extends ConfirmationJob['name']> = N extends EvidenceJobName ? [evidence: ConfirmationEvidence[N]] : [];

/**
 * Relays requests and evidence to the confirmation service and waits briefly for its verdict. The API
 * decides nothing itself: it seals the evidence to the confirmation service, signs the job, and turns the
 * verdict into an HTTP answer. The job is gone from Redis as soon as it finishes.
 */
@Injectable()
export class VerdictClient implements OnModuleInit, OnApplicationShutdown {
  private readonly events: QueueEvents;
  private readonly changeListeners: ((changedWithdrawals: readonly string[]) => void)[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QueueName.Confirmations) private readonly confirmations: Queue,
    private readonly signer: JobSigner,
    private readonly sealer: EvidenceSealer,
    private readonly outages: DependencyOutages,
  ) {
    this.events = new QueueEvents(QueueName.Confirmations, {
      connection: redisConnection(config.redisUrls.api),
      prefix: config.queuePrefix,
    });
    this.events.on('error', () => outages.report('redis'));
    // Every waiting request listens until its verdict arrives; hundreds at once are normal.
    this.events.setMaxListeners(0);
  }

  async onModuleInit(): Promise<void> {
    await this.events.waitUntilReady();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.events.close();
  }

  async ask<N extends ConfirmationJob['name']>(name: N, data: ClearData<N>, ...evidence: EvidenceArgument<N>): Promise<VerdictOk> {
    // Redis known to be away, and a fresh probe (half a second at most) finds it still away: say so at once,
    // before anything is sent (the queue's connection would wait for it). Back already: go on at once.
    if (this.outages.isDown('redis') && !(await this.outages.probe('redis', true)).up) throw unavailableProblem('redis');
    const jobId = randomUUID();
    const sealed = evidence.length ? this.sealer.seal(name as EvidenceJobName, jobId, evidence[0]) : {};
    const signed = this.signer.sign(QueueName.Confirmations, name, jobId, { ...data, ...sealed });
    // Listening before the job exists, so that a verdict given at once (and the job removed with it) is never missed.
    const verdict = this.verdictOf(jobId);
    let answer: Verdict;
    try {
      // An add that waits on a Redis gone meanwhile is given up with the verdict, at VERDICT_TIMEOUT.
      const added = this.confirmations.add(name, signed, { ...EVIDENCE_JOB_OPTIONS, jobId });
      answer = await Promise.race([added.then(() => verdict.promise), verdict.promise]);
    } catch {
      // Timed out or failed: nothing was decided that the customer can rely on; the status document tells.
      throw new Problem('verdict_unavailable', 'try again, or check the withdrawal status');
    } finally {
      verdict.stop();
    }
    const { changedWithdrawals, ...told } = answer;
    // Read from Redis like the rest of the verdict: only ever a reason to read Postgres again, and only if it is a list.
    if (Array.isArray(changedWithdrawals) && changedWithdrawals.length) for (const listener of this.changeListeners) listener(changedWithdrawals);
    answer = told;
    if (answer.ok) return answer;
    const headers: Record<string, string> = answer.retryAfterSeconds ? { 'retry-after': String(answer.retryAfterSeconds) } : {};
    throw new Problem(answer.code, answer.detail, headers);
  }

  /** Called, before the answer is given, with the withdrawals a verdict's job changed (the status document cache). */
  afterVerdict(listener: (changedWithdrawals: readonly string[]) => void): void {
    this.changeListeners.push(listener);
  }

  private verdictOf(jobId: string): { promise: Promise<Verdict>; stop: () => void } {
    let stop = () => undefined as void;
    const promise = new Promise<Verdict>((resolve, reject) => {
      const completed = `completed:${jobId}`;
      const failed = `failed:${jobId}`;
      const onCompleted = ({ returnvalue }: { returnvalue: unknown }) => resolve(returnvalue as Verdict);
      const onFailed = () => reject(new Error('the confirmation service refused the job'));
      const timer = setTimeout(() => reject(new Error('no verdict in time')), this.config.verdictTimeoutMs);
      this.events.on(completed as 'completed', onCompleted);
      this.events.on(failed as 'failed', onFailed);
      stop = () => {
        clearTimeout(timer);
        this.events.off(completed as 'completed', onCompleted);
        this.events.off(failed as 'failed', onFailed);
      };
    });
    return { promise, stop };
  }
}
