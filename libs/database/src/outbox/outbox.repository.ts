import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { RecordedChange } from '../recorded-changes';
import { Repository } from '../repository';
import { outboxWritten } from '../transactions';
import { OutboxEntryEntity } from './outbox-entry.entity';

export interface NewOutboxEntry {
  queue: string;
  name: string;
  jobId: string;
  data: object;
  runAt?: Date;
}

export type PendingOutboxEntry = Pick<OutboxEntryEntity, 'id' | 'queue' | 'name' | 'jobId' | 'data' | 'runAt'>;

export type FailedOutboxEntry = Pick<
  OutboxEntryEntity,
  'id' | 'queue' | 'name' | 'jobId' | 'producer' | 'attempts' | 'lastError' | 'createdAt' | 'failedAt'
>;

/** `outbox`: jobs recorded in the transaction of the change that implies them, until a relay publishes them. */
@Injectable()
export class OutboxRepository extends Repository {
  async insert(m: EntityManager, entries: NewOutboxEntry[]): Promise<void> {
    if (!entries.length) return;
    const change = this.insertChange(m, entries);
    await m.query(change.sql, change.params);
  }

  /**
   * The entries' INSERT as a change for a statement of `m`'s transaction that makes it with others
   * (changesAsWithClauses); the transaction's commit kicks the relay as insert's does. Not for no entries.
   */
  insertChange(m: EntityManager, entries: NewOutboxEntry[]): RecordedChange {
    if (!entries.length) throw new RangeError('an outbox change needs entries');
    const values = entries.map((_, i) => `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5})`).join(', ');
    outboxWritten(m, entries);
    return {
      sql: `INSERT INTO outbox (queue, name, job_id, data, run_at) VALUES ${values}`,
      params: entries.flatMap((e) => [e.queue, e.name, e.jobId, JSON.stringify(e.data), e.runAt ?? null]),
    };
  }

  /** Up to `limit` unpublished entries, oldest first, locked so that relays in other apps skip them. */
  async lockUnpublished(m: EntityManager, limit: number): Promise<PendingOutboxEntry[]> {
    return this.rows<PendingOutboxEntry>(
      `SELECT id, queue, name, job_id AS "jobId", data, run_at AS "runAt" FROM outbox
        WHERE published_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
      m,
    );
  }

  /**
   * Counts a failed attempt to publish the entry, keeping its reason; at `maxAttempts` the entry is set
   * aside as failed. Returns whether it was.
   */
  async recordFailure(m: EntityManager, id: string, reason: string, maxAttempts: number): Promise<boolean> {
    const [row] = await this.updateReturning<{ failed: boolean }>(
      m,
      `UPDATE outbox SET attempts = attempts + 1, last_error = left($2, 500),
                         failed_at = CASE WHEN attempts + 1 >= $3 THEN now() END
        WHERE id = $1 RETURNING failed_at IS NOT NULL AS failed`,
      [id, reason, maxAttempts],
    );
    return row?.failed === true;
  }

  /** Entries set aside as failed, newest first: for operators. */
  async failed(limit: number): Promise<FailedOutboxEntry[]> {
    return this.rows<FailedOutboxEntry>(
      `SELECT id, queue, name, job_id AS "jobId", producer, attempts, last_error AS "lastError", created_at AS "createdAt", failed_at AS "failedAt"
         FROM outbox WHERE failed_at IS NOT NULL ORDER BY id DESC LIMIT $1`,
      [limit],
    );
  }

  /** How the outbox is doing: entries set aside as failed, and the age of the oldest still to publish. */
  async health(): Promise<{ failed: number; oldestUnpublishedSeconds: number | null }> {
    const row = await this.row<{ failed: number; oldest: number | null }>(
      `SELECT (SELECT count(*)::int FROM outbox WHERE failed_at IS NOT NULL) AS failed,
              (SELECT extract(epoch FROM now() - min(created_at))::float FROM outbox WHERE published_at IS NULL AND failed_at IS NULL) AS oldest`,
      [],
    );
    return { failed: row?.failed ?? 0, oldestUnpublishedSeconds: row?.oldest ?? null };
  }

  /** The latest entry recorded for each of these job ids of `queue`: what the reconciler publishes again. */
  async byJobIds(queue: string, jobIds: string[]): Promise<PendingOutboxEntry[]> {
    if (!jobIds.length) return [];
    return this.rows<PendingOutboxEntry>(
      `SELECT DISTINCT ON (job_id) id, queue, name, job_id AS "jobId", data, run_at AS "runAt" FROM outbox
        WHERE queue = $1 AND job_id = ANY($2::text[]) ORDER BY job_id, id DESC`,
      [queue, jobIds],
    );
  }

  /**
   * Marks the jobs' entries published, by queue and job id (a commit's jobs are published from memory, their
   * row ids unknown): one statement, committed at once. Entries a relay's pass has locked are waited for, and
   * then found published already.
   */
  async markPublishedJobs(jobs: readonly { queue: string; jobId: string }[]): Promise<void> {
    await this.db().query(
      `UPDATE outbox SET published_at = now()
        WHERE job_id = ANY($2::text[]) AND (queue, job_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
          AND published_at IS NULL AND failed_at IS NULL`,
      [jobs.map((j) => j.queue), jobs.map((j) => j.jobId)],
    );
  }

  async markPublished(m: EntityManager, ids: string[]): Promise<void> {
    await m.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [ids]);
  }
}
