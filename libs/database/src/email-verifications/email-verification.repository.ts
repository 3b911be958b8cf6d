import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Repository } from '../repository';
import { EmailVerificationEntity } from './email-verification.entity';

export type EmailVerificationToSend = Pick<EmailVerificationEntity, 'id' | 'userId' | 'email' | 'sentAt' | 'consumedAt' | 'expiresAt'>;

/** Pending email changes and the single-use links that verify them (only the link's hash is kept). */
@Injectable()
export class EmailVerificationRepository extends Repository {
  /** A new pending change; any older link of the customer stops working. */
  async insert(m: EntityManager, userId: string, email: string, expiresAt: Date): Promise<string> {
    await this.supersedeOthers(m, userId, null);
    const [row] = await this.rows<{ id: string }>(
      'INSERT INTO email_verifications (user_id, email, expires_at) VALUES ($1, $2, $3) RETURNING id',
      [userId, email, expiresAt],
      m,
    );
    return row.id;
  }

  /**
   * Uses the link once, if it is the customer's current one and in time; every other pending link of the
   * customer stops working. The customer and the address it verifies, else undefined.
   */
  async consume(m: EntityManager, tokenHash: Buffer): Promise<{ userId: string; email: string } | undefined> {
    const [row] = await this.updateReturning<{ id: string; userId: string; email: string }>(
      m,
      `UPDATE email_verifications SET consumed_at = now()
        WHERE token_hash = $1 AND consumed_at IS NULL AND superseded_at IS NULL AND expires_at > now()
        RETURNING id, user_id AS "userId", email`,
      [tokenHash],
    );
    if (!row) return undefined;
    await this.supersedeOthers(m, row.userId, row.id);
    return { userId: row.userId, email: row.email };
  }

  private async supersedeOthers(m: EntityManager, userId: string, keepId: string | null): Promise<void> {
    await m.query(
      `UPDATE email_verifications SET superseded_at = now()
        WHERE user_id = $1 AND consumed_at IS NULL AND superseded_at IS NULL AND id IS DISTINCT FROM $2`,
      [userId, keepId],
    );
  }

  async findToSend(id: string): Promise<EmailVerificationToSend | undefined> {
    return this.row<EmailVerificationToSend>(
      `SELECT id, user_id AS "userId", email, sent_at AS "sentAt", consumed_at AS "consumedAt", expires_at AS "expiresAt"
         FROM email_verifications WHERE id = $1`,
      [id],
    );
  }

  /** Stored before the mail leaves, so a customer who clicks at once finds it; a redelivery before sending replaces it. */
  async setTokenHash(id: string, tokenHash: Buffer): Promise<void> {
    await this.db().query('UPDATE email_verifications SET token_hash = $2 WHERE id = $1 AND sent_at IS NULL', [id, tokenHash]);
  }

  async markSent(id: string): Promise<void> {
    await this.db().query('UPDATE email_verifications SET sent_at = now() WHERE id = $1', [id]);
  }
}
