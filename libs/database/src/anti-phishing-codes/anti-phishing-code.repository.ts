import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Repository } from '../repository';

/** `anti_phishing_codes`: read by whoever renders a message or page for the customer, set by the confirmation service. */
@Injectable()
export class AntiPhishingCodeRepository extends Repository {
  async find(userId: string, m?: EntityManager): Promise<string | undefined> {
    return (await this.row<{ code: string }>('SELECT code FROM anti_phishing_codes WHERE user_id = $1', [userId], m))?.code;
  }

  /** The code of the customer a "this wasn't me" link (by its token's hash) was sent to. */
  async forNoticeLink(tokenHash: Buffer): Promise<string | undefined> {
    const row = await this.row<{ code: string }>(
      `SELECT a.code FROM notice_deliveries d JOIN security_notices n ON n.id = d.notice_id
         JOIN anti_phishing_codes a ON a.user_id = n.user_id WHERE d.token_hash = $1`,
      [tokenHash],
    );
    return row?.code;
  }

  /** The code of the customer an email verification link (by its token's hash) was sent for. */
  async forVerificationLink(tokenHash: Buffer): Promise<string | undefined> {
    const row = await this.row<{ code: string }>(
      'SELECT a.code FROM email_verifications v JOIN anti_phishing_codes a ON a.user_id = v.user_id WHERE v.token_hash = $1',
      [tokenHash],
    );
    return row?.code;
  }

  async set(m: EntityManager, userId: string, code: string): Promise<void> {
    await m.query('INSERT INTO anti_phishing_codes (user_id, code) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET code = EXCLUDED.code', [
      userId,
      code,
    ]);
  }
}
