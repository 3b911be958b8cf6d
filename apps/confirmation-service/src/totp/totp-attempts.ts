import { APP_CONFIG, AppConfig } from '@app/config';
import { matchTotpStep, openTotpSecret } from '@app/crypto';
import { appendAudit } from '@app/database';
import { QueueName, Verdict, writeOutbox } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ACTOR } from '../withdrawals/withdrawal-settlement';
import { TOTP_FAILURE_WINDOW_SECONDS, TOTP_FAILURES_PER_USER } from './totp-policy';

export type CodeCheck = { kind: 'matched'; step: number } | { kind: 'reused'; step: number } | { kind: 'wrong' };

/**
 * What activation and withdrawal confirmation share: the per-customer failure window, opening the sealed
 * secret, and the replay guard. Callers hold the customer's row lock, so none of this can be raced.
 */
@Injectable()
export class TotpAttempts {
  private readonly privateKey: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (!config.totpSeal.privateKey) throw new Error('TOTP_SEAL_PRIVATE_KEY is required by the confirmation service');
    this.privateKey = config.totpSeal.privateKey;
  }

  /** The too_many_attempts verdict when the customer has used up the window, else undefined. */
  async userLockout(m: EntityManager, userId: string): Promise<Verdict | undefined> {
    const [row] = await m.query(
      `SELECT count(*)::int AS failures, min(failed_at) AS oldest FROM (
         SELECT failed_at FROM totp_failures
          WHERE user_id = $1 AND failed_at > now() - make_interval(secs => $2)
          ORDER BY failed_at DESC LIMIT $3) recent`,
      [userId, TOTP_FAILURE_WINDOW_SECONDS, TOTP_FAILURES_PER_USER],
    );
    if (row.failures < TOTP_FAILURES_PER_USER) return undefined;
    const retryAfterSeconds = Math.max(
      1,
      Math.ceil((new Date(row.oldest).getTime() + TOTP_FAILURE_WINDOW_SECONDS * 1000 - Date.now()) / 1000),
    );
    return { ok: false, code: 'too_many_attempts', retryAfterSeconds };
  }

  async recordFailure(m: EntityManager, userId: string, withdrawalId: string | null): Promise<void> {
    await m.query('INSERT INTO totp_failures (user_id, withdrawal_id) VALUES ($1, $2)', [userId, withdrawalId]);
    await appendAudit(m, { actor: ACTOR, event: 'totp_failed', userId, withdrawalId });
  }

  /**
   * Checks a code against a sealed secret and, when it matches, consumes its time step for this customer.
   * A step already consumed is a replay: refused, logged and mailed to the customer.
   */
  async check(m: EntityManager, userId: string, sealedSecret: string, code: string, withdrawalId: string | null): Promise<CodeCheck> {
    const step = matchTotpStep(openTotpSecret(sealedSecret, this.privateKey), code, Date.now());
    if (step === null) return { kind: 'wrong' };
    const inserted = await m.query(
      'INSERT INTO totp_used_steps (user_id, step) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING step',
      [userId, step],
    );
    if (inserted.length) return { kind: 'matched', step };
    await appendAudit(m, { actor: ACTOR, event: 'totp_code_reused', userId, withdrawalId, detail: { step } });
    await writeOutbox(m, [
      {
        queue: QueueName.Notifications,
        name: 'send-security-alert',
        jobId: `alert-totp-reused-${userId}-${step}`,
        data: { userId, alert: 'totp_code_reused', dedupeKey: `alert-totp-reused-${userId}-${step}`, ...(withdrawalId ? { withdrawalId } : {}) },
      },
    ]);
    return { kind: 'reused', step };
  }
}
