import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/**
 * Sends a message at most once per key however often its job is delivered: the key is claimed in the
 * transaction that sends, so a concurrent duplicate waits on it and then finds it taken. A failed send
 * rolls the claim back and the job retries.
 */
@Injectable()
export class SendOnce {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  run(key: string, send: (m: EntityManager) => Promise<void>): Promise<'sent' | 'already_sent'> {
    return this.dataSource.transaction(async (m) => {
      const claimed = await m.query('INSERT INTO sent_notifications (key) VALUES ($1) ON CONFLICT DO NOTHING RETURNING key', [key]);
      if (!claimed.length) return 'already_sent';
      await send(m);
      return 'sent';
    });
  }
}
