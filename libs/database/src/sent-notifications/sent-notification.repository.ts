import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Repository } from '../repository';

/** `sent_notifications`: the claim that makes a message go out at most once per key. */
@Injectable()
export class SentNotificationRepository extends Repository {
  /** Claims `key` in the caller's transaction; false when it was claimed already. A rollback releases it. */
  async claim(m: EntityManager, key: string): Promise<boolean> {
    const rows = await this.rows<{ key: string }>('INSERT INTO sent_notifications (key) VALUES ($1) ON CONFLICT DO NOTHING RETURNING key', [key], m);
    return rows.length > 0;
  }
}
