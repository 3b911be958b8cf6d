import { OutboxRepository } from '@app/database';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { QueueJob } from './job-contracts';

export type OutboxEntry = QueueJob & {
  /** Deterministic, so a republished entry is recognised by BullMQ and by the consumer. */
  jobId: string;
  runAt?: Date;
};

/** Records jobs in the caller's transaction: they are published if and only if the change commits. */
@Injectable()
export class Outbox {
  constructor(private readonly entries: OutboxRepository) {}

  add(m: EntityManager, entries: OutboxEntry[]): Promise<void> {
    return this.entries.insert(m, entries);
  }
}
