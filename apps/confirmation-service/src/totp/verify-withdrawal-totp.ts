import { Verdict } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WithdrawalLocks } from '../withdrawals/withdrawal-locks';
import { WithdrawalSettlement } from '../withdrawals/withdrawal-settlement';
import { TotpAttempts } from './totp-attempts';
import { TOTP_FAILURES_PER_WITHDRAWAL } from './totp-policy';

/** The TOTP factor of one withdrawal: verified here, from the sealed secret, and nowhere else. */
@Injectable()
export class VerifyWithdrawalTotp {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly locks: WithdrawalLocks,
    private readonly settlement: WithdrawalSettlement,
    private readonly attempts: TotpAttempts,
  ) {}

  execute(input: { userId: string; withdrawalId: string; code: string }): Promise<Verdict> {
    return this.dataSource.transaction(async (m): Promise<Verdict> => {
      const w = await this.locks.lockWithdrawal(m, input.withdrawalId, input.userId);
      if (!w) return { ok: false, code: 'not_found' };
      const totp = (await this.locks.lockFactors(m, w.id)).totp;
      // Locked by wrong codes: that stays the answer, although locking also ended the withdrawal.
      if (totp.status === 'locked') return { ok: false, code: 'too_many_attempts', detail: 'the TOTP factor is locked after too many wrong codes' };
      if (w.status !== 'pending_confirmation') return { ok: false, code: 'withdrawal_not_pending' };
      if (this.settlement.isExpired(w)) {
        await this.settlement.finish(m, w, 'expired', 'confirmation_window_passed');
        return { ok: false, code: 'withdrawal_not_pending' };
      }
      const lockout = await this.attempts.userLockout(m, w.user_id);
      if (lockout) return lockout;
      const [enrolment] = await m.query(
        `SELECT sealed_secret FROM totp_enrolments WHERE user_id = $1 AND status = 'active'`,
        [w.user_id],
      );
      if (!enrolment) return { ok: false, code: 'factor_not_enrolled' };

      const check = await this.attempts.check(m, w.user_id, enrolment.sealed_secret, input.code, w.id);
      if (check.kind === 'reused') return { ok: false, code: 'code_reused' };
      if (check.kind === 'matched') {
        if (totp.status === 'pending') {
          await this.settlement.setFactor(m, w, 'totp', 'approved', `totp-step:${check.step}`, w.digest);
          await this.settlement.evaluate(m, w);
        }
        return { ok: true, factor: 'totp', status: 'approved' };
      }

      await this.attempts.recordFailure(m, w.user_id, w.id);
      const failures = totp.failures + 1;
      await m.query(`UPDATE withdrawal_factors SET failures = $2 WHERE withdrawal_id = $1 AND factor = 'totp'`, [w.id, failures]);
      if (failures >= TOTP_FAILURES_PER_WITHDRAWAL && totp.status === 'pending') {
        await this.settlement.setFactor(m, w, 'totp', 'locked', `totp-failures:${failures}`);
        await this.settlement.evaluate(m, w);
        return { ok: false, code: 'too_many_attempts', detail: 'the TOTP factor is locked and the withdrawal denied' };
      }
      return (await this.attempts.userLockout(m, w.user_id)) ?? { ok: false, code: 'invalid_code' };
    });
  }
}
