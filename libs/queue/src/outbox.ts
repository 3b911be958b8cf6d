import { OutboxRepository, RecordedChange } from '@app/database';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { QueueJob } from './job-contracts';
import { JobSigner } from './job-signer';

export type OutboxEntry = QueueJob & {
  /** Deterministic (see jobId()), so a republished entry is recognised by BullMQ and by the consumer. */
  jobId: string;
  runAt?: Date;
};

/**
 * Records jobs in the caller's transaction, signed by this app: they are published if and only if the
 * change commits, and obeyed only because this app signed them (Postgres also checks that this app's
 * role may produce each name).
 */
@Injectable()
export class Outbox {
  constructor(
    private readonly entries: OutboxRepository,
    private readonly signer: JobSigner,
  ) {}

  add(m: EntityManager, entries: OutboxEntry[]): Promise<void> {
    return this.entries.insert(m, this.signed(entries));
  }

  /** The same as a change for a statement of `m`'s transaction that makes it with others (changesAsWithClauses). */
  addChange(m: EntityManager, entries: OutboxEntry[]): RecordedChange {
    return this.entries.insertChange(m, this.signed(entries));
  }

  private signed(entries: OutboxEntry[]) {
    return entries.map((e) => ({ ...e, data: this.signer.sign(e.queue, e.name, e.jobId, e.data) }));
  }
}
