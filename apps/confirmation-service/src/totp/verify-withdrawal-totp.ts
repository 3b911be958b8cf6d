import { Transactions, WithdrawalRepository } from '@app/database';
import { earliestMatchableStep } from '@app/crypto';
import { isOpen, problem, Verdict } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { WithdrawalLocks } from '../withdrawals/withdrawal-locks';
import { WithdrawalSettlement } from '../withdrawals/withdrawal-settlement';
import { TotpAttempts } from './totp-attempts';
import { TOTP_FAILURE_WINDOW_SECONDS, TOTP_FAILURES_PER_USER, TOTP_FAILURES_PER_WITHDRAWAL } from './totp-policy';

/** The TOTP factor of one withdrawal: verified here, from the sealed secret, and nowhere else. */
@Injectable()
export class VerifyWithdrawalTotp {
  constructor(
    private readonly transactions: Transactions,
    private readonly locks: WithdrawalLocks,
    private readonly withdrawals: WithdrawalRepository,
    private readonly settlement: WithdrawalSettlement,
    private readonly attempts: TotpAttempts,
  ) {}

  execute(input: { userId: string; withdrawalId: string; code: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      // The locks, and the customer's failure window and enrolment read once they are held: one round trip.
      const locked = await this.locks.lockForTotpDecision(
        m,
        { withdrawalId: input.withdrawalId, ownerId: input.userId },
        {
          status: 'active',
          windowSeconds: TOTP_FAILURE_WINDOW_SECONDS,
          limit: TOTP_FAILURES_PER_USER,
          // A code checked from now on matches no earlier step.
          stepsUsedFrom: earliestMatchableStep(Date.now()),
        },
      );
      if (!locked) return problem('not_found');
      const { withdrawal: w, factors } = locked;
      const totp = factors.totp;
      // Locked by wrong codes: that stays the answer, although locking also ended the withdrawal.
      if (totp.status === 'locked') return problem('too_many_attempts', 'the TOTP factor is locked after too many wrong codes');
      // A held withdrawal still collects its confirmations; it posts only once an operator releases it.
      if (!isOpen(w.status)) return problem('withdrawal_not_pending');
      if (this.settlement.isExpired(w)) {
        await this.settlement.finish(m, w, 'expired', 'confirmation_window_passed');
        return problem('withdrawal_not_pending');
      }
      const { lockout, enrolment } = this.attempts.judge(locked.totp);
      if (lockout) return lockout;
      if (!enrolment) return problem('factor_not_enrolled');

      const check = await this.attempts.checkAgainst(m, w.userId, enrolment.sealedSecret, input.code, w.id, locked.usedSteps);
      if (check.kind === 'reused') return problem('code_reused');
      if (check.kind === 'matched') {
        // A code for a factor approved already still uses its step up; otherwise the decision's own statement does.
        if (totp.status !== 'pending') await this.attempts.useStep(m, w.userId, check.step);
        else {
          const decided = await this.settlement.decideFactor(
            m,
            w,
            'totp',
            { status: 'approved', evidence: `totp-step:${check.step}`, digest: w.digest, enrolmentId: enrolment.id },
            [this.attempts.useStepChange(w.userId, check.step)],
          );
          await this.settlement.evaluate(m, w, decided);
        }
        return { ok: true, factor: 'totp', status: 'approved' };
      }

      await this.attempts.recordFailure(m, w.userId, w.id);
      const failures = totp.failures + 1;
      await this.withdrawals.setTotpFailures(m, w.id, failures);
      if (failures >= TOTP_FAILURES_PER_WITHDRAWAL && totp.status === 'pending') {
        const decided = await this.settlement.decideFactor(m, w, 'totp', {
          status: 'locked',
          evidence: `totp-failures:${failures}`,
          enrolmentId: enrolment.id,
        });
        await this.settlement.evaluate(m, w, decided);
        return problem('too_many_attempts', 'the TOTP factor is locked and the withdrawal denied');
      }
      return (await this.attempts.userLockout(m, w.userId)) ?? problem('invalid_code');
    });
  }
}
