import { SentNotificationRepository, Transactions } from '@app/database';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/**
 * Sends a message at most once per key however often its job is delivered: the key is claimed in the
 * transaction that sends, so a concurrent duplicate waits on it and then finds it taken. A failed send
 * rolls the claim back and the job retries.
 */
@Injectable()
export class SendOnce {
  constructor(
    private readonly transactions: Transactions,
    private readonly sent: SentNotificationRepository,
  ) {}

  run(key: string, send: (m: EntityManager) => Promise<void>): Promise<'sent' | 'already_sent'> {
    return this.transactions.run(async (m) => {
      if (!(await this.sent.claim(m, key))) return 'already_sent';
      await send(m);
      return 'sent';
    });
  }
}
