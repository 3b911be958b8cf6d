import { EntityManager } from 'typeorm';
import { QueueJob } from './job-contracts';

export type OutboxEntry = QueueJob & {
  /** Deterministic, so a republished entry is recognised by BullMQ and by the consumer. */
  jobId: string;
  runAt?: Date;
};

/** Records jobs in the caller's transaction: they are published if and only if the change commits. */
export async function writeOutbox(manager: EntityManager, entries: OutboxEntry[]): Promise<void> {
  for (const e of entries) {
    await manager.query('INSERT INTO outbox (queue, name, job_id, data, run_at) VALUES ($1, $2, $3, $4, $5)', [
      e.queue,
      e.name,
      e.jobId,
      JSON.stringify(e.data),
      e.runAt ?? null,
    ]);
  }
}
