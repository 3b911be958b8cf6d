import { AuditRepository, TotpRepository, Transactions } from '@app/database';
import { problem, Verdict } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { TotpAttempts } from '../totp/totp-attempts';
import { SecurityChanges } from './security-changes';
import { isRefusal, StepUp } from './step-up';

/**
 * A new authenticator: enrolled pending (replacing an active one needs a current code from it), then
 * activated with its own first code — which is consumed like any other. Activation is the change: it
 * revokes the old one, ends open withdrawals, is announced, and (by trigger) locks withdrawals.
 */
@Injectable()
export class TotpEnrolment {
  constructor(
    private readonly transactions: Transactions,
    private readonly stepUp: StepUp,
    private readonly totp: TotpRepository,
    private readonly attempts: TotpAttempts,
    private readonly changes: SecurityChanges,
    private readonly audit: AuditRepository,
  ) {}

  enrol(input: { userId: string; sealedSecret: string; currentCode?: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const proven = await this.stepUp.require(m, input.userId, input.currentCode);
      if (isRefusal(proven)) return proven;
      await this.totp.insertPending(m, input.userId, input.sealedSecret);
      await this.audit.append(m, { event: 'totp_enrolment_started', userId: input.userId });
      return { ok: true, status: 'pending' };
    });
  }

  activate(input: { userId: string; code: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const before = await this.stepUp.before(m, input.userId);
      const { lockout, enrolment } = await this.attempts.beforeCheck(m, input.userId, 'pending');
      if (lockout) return lockout;
      if (!enrolment) return problem('factor_not_enrolled');
      const check = await this.attempts.check(m, input.userId, enrolment.sealedSecret, input.code, null);
      if (check.kind === 'reused') return problem('code_reused');
      if (check.kind === 'wrong') {
        await this.attempts.recordFailure(m, input.userId, null);
        return (await this.attempts.userLockout(m, input.userId)) ?? problem('invalid_code');
      }
      await this.totp.activate(m, input.userId, enrolment.id);
      await this.audit.append(m, { event: 'totp_activated', userId: input.userId });
      await this.changes.announce(m, input.userId, 'totp', before);
      return { ok: true, factor: 'totp', status: 'active' };
    });
  }
}
