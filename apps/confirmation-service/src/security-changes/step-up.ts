import { CustomerRepository, TotpRepository } from '@app/database';
import { problem, VerdictProblem } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TotpAttempts } from '../totp/totp-attempts';

/** The customer, locked for the change, once the proof checked out. */
export interface SteppedUp {
  email: string | null;
  emailVerified: boolean;
  /** Whether the customer has an active authenticator (so the change needed its code). */
  totpActive: boolean;
}

/**
 * A factor changes only with a factor (DESIGN.md invariant 10): once the customer has an active
 * authenticator, a change needs a current code from it — checked here like any code (consumed, replay
 * refused, failures counted toward the lockout). A stolen session alone changes nothing.
 */
@Injectable()
export class StepUp {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly totp: TotpRepository,
    private readonly attempts: TotpAttempts,
  ) {}

  /**
   * Locks the customer and checks the proof. `always`: a TOTP code is needed even before any is active (an
   * address needs one from the start). The customer as it was, or the verdict refusing the change.
   */
  async require(m: EntityManager, userId: string, code: string | undefined, always = false): Promise<SteppedUp | VerdictProblem> {
    const facts = await this.before(m, userId);
    const enrolment = await this.totp.newestSealed(m, userId, 'active');
    if (!enrolment) return always ? problem('factor_not_enrolled', 'this change needs an active authenticator') : facts;
    if (!code) return problem('invalid_code', 'a current code from your authenticator is required for this change');
    const lockout = await this.attempts.userLockout(m, userId);
    if (lockout) return lockout;
    const check = await this.attempts.check(m, userId, enrolment.sealedSecret, code, null);
    if (check.kind === 'reused') return problem('code_reused');
    if (check.kind === 'wrong') {
      await this.attempts.recordFailure(m, userId, null);
      return (await this.attempts.userLockout(m, userId)) ?? problem('invalid_code');
    }
    return facts;
  }

  /** Locks the customer (made on first sight) and tells what it has before a change. */
  async before(m: EntityManager, userId: string): Promise<SteppedUp> {
    const customer = (await this.customers.lock(m, userId)) ?? (await this.customers.ensure(userId, m));
    const totpActive = (await this.totp.newestSealed(m, userId, 'active')) !== undefined;
    return { email: customer.email, emailVerified: customer.emailVerifiedAt !== null, totpActive };
  }
}

export const isRefusal = (result: SteppedUp | VerdictProblem): result is VerdictProblem => 'ok' in result && result.ok === false;
