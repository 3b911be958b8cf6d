import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { RecordedChange } from '../recorded-changes';
import { Repository } from '../repository';
import { withdrawalForMessage, WithdrawalForMessage } from '../withdrawals/withdrawal.repository';

export type LeaseResult = 'leased' | 'already_sent' | 'in_progress';

/** `sent_notifications`: the claim that makes a message go out at most once per key. */
@Injectable()
export class SentNotificationRepository extends Repository {
  /** Claims `key` in the caller's transaction; false when it was claimed already. A rollback releases it. */
  async claim(m: EntityManager, key: string): Promise<boolean> {
    const rows = await this.rows<{ key: string }>('INSERT INTO sent_notifications (key) VALUES ($1) ON CONFLICT DO NOTHING RETURNING key', [key], m);
    return rows.length > 0;
  }

  /**
   * Leases `key` for one delivery made outside any transaction (one statement, committed at once):
   * 'leased' when this caller may send now, 'already_sent', or 'in_progress' while another delivery's
   * lease runs. A delivery that fails releases its lease; one that crashes lets it run out. In the same
   * statement, the withdrawal the message is about, as messages show it (undefined when there is none).
   */
  async leaseWithdrawalMessage(
    key: string,
    seconds: number,
    withdrawalId: string,
  ): Promise<{ state: LeaseResult; withdrawal?: WithdrawalForMessage }> {
    const row = await this.row<{ state: LeaseResult | null } & { [K in keyof WithdrawalForMessage]: WithdrawalForMessage[K] | null }>(
      `WITH taken AS (
         INSERT INTO sent_notifications AS s (key, sent_at, leased_until) VALUES ($1, NULL, now() + make_interval(secs => $2))
         ON CONFLICT (key) DO UPDATE SET leased_until = EXCLUDED.leased_until
           WHERE s.sent_at IS NULL AND (s.leased_until IS NULL OR s.leased_until < now())
         RETURNING 'leased'::text AS state),
       lease AS (
         SELECT state FROM taken
         UNION ALL
         SELECT CASE WHEN sent_at IS NOT NULL THEN 'already_sent' ELSE 'in_progress' END
           FROM sent_notifications WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM taken))
       SELECT l.state, w.* FROM (SELECT 1) one
         LEFT JOIN (SELECT state FROM lease LIMIT 1) l ON true
         LEFT JOIN (${withdrawalForMessage('$3')}) w ON true`,
      [key, seconds, withdrawalId],
    );
    // No lease row: another delivery inserted it concurrently, after this statement's snapshot.
    const { state, ...withdrawal } = row!;
    return { state: state ?? 'in_progress', withdrawal: withdrawal.id === null ? undefined : (withdrawal as WithdrawalForMessage) };
  }

  /** Marks it sent, its lease ended: a change for a statement that makes it with others (the notification worker's SentMarks). */
  sentChange(key: string): RecordedChange {
    return { sql: 'UPDATE sent_notifications SET sent_at = now(), leased_until = NULL WHERE key = $1', params: [key] };
  }

  async releaseLease(key: string): Promise<void> {
    await this.rows('UPDATE sent_notifications SET leased_until = NULL WHERE key = $1 AND sent_at IS NULL', [key]);
  }
}
