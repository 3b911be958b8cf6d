import { AppRole } from '@app/config';
import { JOB_OPTIONS, QueueName, redisConnection } from '@app/queue';
import { Job, Queue, QueueEvents } from 'bullmq';
import { DataSource } from 'typeorm';
import { TestJobs } from './job-signing';
import { TestEnvironment } from './test-suite';

export interface Replay {
  queue: QueueName;
  name: string;
  originalId: string;
  replayId: string;
  data: Record<string, unknown>;
  state: 'pending' | 'completed' | 'failed';
  result?: unknown;
  failedReason?: string;
}

export const REPLAY_PREFIX = 'replay-';

/**
 * At-least-once delivery made visible: whenever a job of a watched queue completes, the same name and data
 * are added again under new job ids (`replay-<seq>-<n>-<original id>`), `copies(job)` more times — as BullMQ
 * does after a stalled worker, a lost acknowledgement or a republished outbox row. Replays are never
 * replayed themselves. Every replay and its outcome is recorded.
 */
export class JobReplayer {
  readonly replays = new Map<string, Replay>();
  private readonly queues = new Map<QueueName, Queue>();
  private readonly events: QueueEvents[] = [];
  private readonly adding = new Set<Promise<unknown>>();
  private stopped = false;
  private sequence = 0;
  private readonly signer: TestJobs;

  constructor(
    private readonly env: TestEnvironment,
    private readonly watched: QueueName[],
    private readonly copies: (job: Job) => number = () => 1,
  ) {
    this.signer = new TestJobs(env);
  }

  async start(): Promise<this> {
    const connection = redisConnection(this.env.env.REDIS_URL);
    for (const name of this.watched) {
      const queue = new Queue(name, { connection, prefix: this.env.id });
      const events = new QueueEvents(name, { connection, prefix: this.env.id });
      events.on('completed', ({ jobId, returnvalue }) => this.onCompleted(name, jobId, returnvalue));
      events.on('failed', ({ jobId, failedReason }) => this.onFailed(jobId, failedReason));
      await events.waitUntilReady();
      this.queues.set(name, queue);
      this.events.push(events);
    }
    return this;
  }

  /** Replays by (queue, job name). */
  of(queue: QueueName, name?: string): Replay[] {
    return [...this.replays.values()].filter((r) => r.queue === queue && (name === undefined || r.name === name));
  }

  /** Waits until every replay added so far has completed or failed. */
  async settle(timeoutMs = 20_000): Promise<Replay[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await Promise.all([...this.adding]);
      const open = [...this.replays.values()].filter((r) => r.state === 'pending');
      if (!open.length && !this.adding.size) return [...this.replays.values()];
      if (Date.now() > deadline) {
        throw new Error(`JobReplayer: ${open.length} replay(s) still open: ${open.map((r) => `${r.queue}/${r.name}`).join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.adding]);
    await Promise.all(this.events.map((e) => e.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }

  private onCompleted(queue: QueueName, jobId: string, returnvalue: unknown): void {
    const replay = this.replays.get(jobId);
    if (replay) {
      replay.state = 'completed';
      replay.result = returnvalue;
      return;
    }
    if (this.stopped || jobId.startsWith(REPLAY_PREFIX)) return;
    const adding = this.replay(queue, jobId).finally(() => this.adding.delete(adding));
    this.adding.add(adding);
  }

  private onFailed(jobId: string, failedReason: string): void {
    const replay = this.replays.get(jobId);
    if (!replay) return;
    replay.state = 'failed';
    replay.failedReason = failedReason;
  }

  private async replay(queueName: QueueName, jobId: string): Promise<void> {
    const queue = this.queues.get(queueName)!;
    const job = await queue.getJob(jobId);
    // Already removed by its retention policy (evidence jobs are removed as soon as they finish): nothing to replay.
    if (!job) return;
    const n = this.copies(job);
    const { signature, ...payload } = job.data as { signature?: { producer?: AppRole } };
    for (let i = 1; i <= n; i++) {
      const replayId = `${REPLAY_PREFIX}${++this.sequence}-${i}-${jobId}`;
      // The producer sending it again: signed by that producer for its new id, as a republished row would be.
      const data = signature?.producer ? this.signer.sign(queueName, job.name, replayId, payload, signature.producer) : job.data;
      // Recorded before it is added: its completion event may arrive before add() resolves.
      this.replays.set(replayId, { queue: queueName, name: job.name, originalId: jobId, replayId, data: payload, state: 'pending' });
      await queue.add(job.name, data, { ...JOB_OPTIONS[queueName], jobId: replayId });
    }
  }
}

/**
 * What a relay sees after its marks are lost (a restore, a crash between publishing and marking, or
 * retention having removed the jobs): every outbox row unpublished again. With `removeFinished`, the
 * finished jobs are first removed from Redis so that BullMQ cannot deduplicate the republished ids and
 * every job really runs again.
 */
export async function republishOutbox(admin: DataSource, env: TestEnvironment, removeFinished: boolean): Promise<number> {
  if (removeFinished) {
    const connection = redisConnection(env.env.REDIS_URL);
    for (const name of [QueueName.Notifications, QueueName.Confirmations, QueueName.ChallengeEmails, QueueName.Pushes]) {
      const queue = new Queue(name, { connection, prefix: env.id });
      try {
        await queue.clean(0, 100_000, 'completed');
        await queue.clean(0, 100_000, 'failed');
      } finally {
        await queue.close();
      }
    }
  }
  const [, count] = await admin.query('UPDATE outbox SET published_at = NULL WHERE published_at IS NOT NULL');
  return count as number;
}
