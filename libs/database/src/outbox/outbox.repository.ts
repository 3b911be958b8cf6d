import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Repository } from '../repository';
import { OutboxEntryEntity } from './outbox-entry.entity';

export interface NewOutboxEntry {
  queue: string;
  name: string;
  jobId: string;
  data: object;
  runAt?: Date;
}

export type PendingOutboxEntry = Pick<OutboxEntryEntity, 'id' | 'queue' | 'name' | 'jobId' | 'data' | 'runAt'>;

/** `outbox`: jobs recorded in the transaction of the change that implies them, until a relay publishes them. */
@Injectable()
export class OutboxRepository extends Repository {
  async insert(m: EntityManager, entries: NewOutboxEntry[]): Promise<void> {
    if (!entries.length) return;
    const values = entries.map((_, i) => `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5})`).join(', ');
    await m.query(
      `INSERT INTO outbox (queue, name, job_id, data, run_at) VALUES ${values}`,
      entries.flatMap((e) => [e.queue, e.name, e.jobId, JSON.stringify(e.data), e.runAt ?? null]),
    );
  }

  /** Up to `limit` unpublished entries, oldest first, locked so that relays in other apps skip them. */
  async lockUnpublished(m: EntityManager, limit: number): Promise<PendingOutboxEntry[]> {
    return this.rows<PendingOutboxEntry>(
      `SELECT id, queue, name, job_id AS "jobId", data, run_at AS "runAt" FROM outbox
        WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
      m,
    );
  }

  async markPublished(m: EntityManager, ids: string[]): Promise<void> {
    await m.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [ids]);
  }
}
