import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Repository } from '../repository';

/** `anti_phishing_codes`: read by whoever renders a message or page for the customer, set by the confirmation service. */
@Injectable()
export class AntiPhishingCodeRepository extends Repository {
  async find(userId: string, m?: EntityManager): Promise<string | undefined> {
    return (await this.row<{ code: string }>('SELECT code FROM anti_phishing_codes WHERE user_id = $1', [userId], m))?.code;
  }

  async set(m: EntityManager, userId: string, code: string): Promise<void> {
    await m.query('INSERT INTO anti_phishing_codes (user_id, code) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET code = EXCLUDED.code', [
      userId,
      code,
    ]);
  }
}
