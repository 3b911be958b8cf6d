import { APP_CONFIG, AppConfig } from '@app/config';
import { appendAudit, lockWithdrawalsAfterSecurityChange } from '@app/database';
import { Verdict } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { WithdrawalLocks } from '../withdrawals/withdrawal-locks';
import { ACTOR } from '../withdrawals/withdrawal-settlement';
import { TotpAttempts } from './totp-attempts';

/**
 * TOTP outside a withdrawal: activating the newest pending enrolment (its code is consumed like any
 * other), and proving possession of the active one for account actions such as adding an address.
 */
@Injectable()
export class CustomerTotp {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly locks: WithdrawalLocks,
    private readonly attempts: TotpAttempts,
  ) {}

  activate(input: { userId: string; code: string }): Promise<Verdict> {
    return this.check(input, 'pending', async (m, enrolmentId) => {
      await m.query(
        `UPDATE totp_enrolments SET status = 'revoked', revoked_at = now()
          WHERE user_id = $1 AND status IN ('active', 'pending') AND id <> $2`,
        [input.userId, enrolmentId],
      );
      await m.query(`UPDATE totp_enrolments SET status = 'active', activated_at = now() WHERE id = $1`, [enrolmentId]);
      // A security change: withdrawals wait out the lock period (DESIGN.md policies).
      await lockWithdrawalsAfterSecurityChange(m, input.userId, this.config.securityChangeLockMs);
      await appendAudit(m, { actor: ACTOR, event: 'totp_activated', userId: input.userId });
    });
  }

  verify(input: { userId: string; code: string }): Promise<Verdict> {
    return this.check(input, 'active', async (m) => {
      await appendAudit(m, { actor: ACTOR, event: 'totp_verified', userId: input.userId });
    });
  }

  private check(
    input: { userId: string; code: string },
    enrolmentStatus: 'pending' | 'active',
    onSuccess: (m: EntityManager, enrolmentId: string) => Promise<void>,
  ): Promise<Verdict> {
    return this.dataSource.transaction(async (m): Promise<Verdict> => {
      if (!(await this.locks.lockUser(m, input.userId))) return { ok: false, code: 'factor_not_enrolled' };
      const lockout = await this.attempts.userLockout(m, input.userId);
      if (lockout) return lockout;
      const [enrolment] = await m.query(
        `SELECT id, sealed_secret FROM totp_enrolments WHERE user_id = $1 AND status = $2 ORDER BY created_at DESC LIMIT 1`,
        [input.userId, enrolmentStatus],
      );
      if (!enrolment) return { ok: false, code: 'factor_not_enrolled' };
      const check = await this.attempts.check(m, input.userId, enrolment.sealed_secret, input.code, null);
      if (check.kind === 'reused') return { ok: false, code: 'code_reused' };
      if (check.kind === 'wrong') {
        await this.attempts.recordFailure(m, input.userId, null);
        return (await this.attempts.userLockout(m, input.userId)) ?? { ok: false, code: 'invalid_code' };
      }
      await onSuccess(m, enrolment.id);
      return { ok: true, factor: 'totp', status: enrolmentStatus === 'pending' ? 'active' : 'verified' };
    });
  }
}
