import { APP_CONFIG, AppConfig } from '@app/config';
import { AuditRepository, CustomerRepository, TotpRepository, Transactions } from '@app/database';
import { problem, Verdict } from '@app/domain';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TotpAttempts } from './totp-attempts';

/**
 * TOTP outside a withdrawal: activating the newest pending enrolment (its code is consumed like any
 * other), and proving possession of the active one for account actions such as adding an address.
 */
@Injectable()
export class CustomerTotp {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly customers: CustomerRepository,
    private readonly totp: TotpRepository,
    private readonly attempts: TotpAttempts,
    private readonly audit: AuditRepository,
  ) {}

  activate(input: { userId: string; code: string }): Promise<Verdict> {
    return this.check(input, 'pending', async (m, enrolmentId) => {
      await this.totp.activate(m, input.userId, enrolmentId);
      // A security change: withdrawals wait out the lock period (DESIGN.md policies).
      await this.customers.lockWithdrawals(m, input.userId, this.config.securityChangeLockMs);
      await this.audit.append(m, { event: 'totp_activated', userId: input.userId });
    });
  }

  verify(input: { userId: string; code: string }): Promise<Verdict> {
    return this.check(input, 'active', async (m) => {
      await this.audit.append(m, { event: 'totp_verified', userId: input.userId });
    });
  }

  private check(
    input: { userId: string; code: string },
    enrolmentStatus: 'pending' | 'active',
    onSuccess: (m: EntityManager, enrolmentId: string) => Promise<void>,
  ): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      if (!(await this.customers.lock(m, input.userId))) return problem('factor_not_enrolled');
      const lockout = await this.attempts.userLockout(m, input.userId);
      if (lockout) return lockout;
      const enrolment = await this.totp.newestSealed(m, input.userId, enrolmentStatus);
      if (!enrolment) return problem('factor_not_enrolled');
      const check = await this.attempts.check(m, input.userId, enrolment.sealedSecret, input.code, null);
      if (check.kind === 'reused') return problem('code_reused');
      if (check.kind === 'wrong') {
        await this.attempts.recordFailure(m, input.userId, null);
        return (await this.attempts.userLockout(m, input.userId)) ?? problem('invalid_code');
      }
      await onSuccess(m, enrolment.id);
      return { ok: true, factor: 'totp', status: enrolmentStatus === 'pending' ? 'active' : 'verified' };
    });
  }
}
