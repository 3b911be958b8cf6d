import { AntiPhishingCodeRepository, AuditRepository, Transactions } from '@app/database';
import { problem, Verdict } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { SecurityChanges } from './security-changes';
import { isRefusal, StepUp } from './step-up';

/** 4 to 20 letters (of any script), digits or spaces, not only spaces. */
export const ANTI_PHISHING_CODE = /^(?=.*\S)[\p{L}\p{N} ]{4,20}$/u;

/**
 * The customer's anti-phishing code: a setting a phisher would love to change (so that their look-alike
 * messages carry the code they chose), so it changes only with a TOTP code once TOTP is active, is announced
 * on the old channels, ends open withdrawals and starts the lock. It is never audited, logged or answered.
 */
@Injectable()
export class AntiPhishingCode {
  constructor(
    private readonly transactions: Transactions,
    private readonly stepUp: StepUp,
    private readonly codes: AntiPhishingCodeRepository,
    private readonly changes: SecurityChanges,
    private readonly audit: AuditRepository,
  ) {}

  set(input: { userId: string; code: string; totpCode?: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      if (typeof input.code !== 'string' || !ANTI_PHISHING_CODE.test(input.code)) {
        return problem('validation_failed', 'the code is 4 to 20 letters, digits or spaces');
      }
      const before = await this.stepUp.require(m, input.userId, input.totpCode);
      if (isRefusal(before)) return before;
      await this.codes.set(m, input.userId, input.code);
      await this.audit.append(m, { event: 'anti_phishing_code_set', userId: input.userId });
      await this.changes.announce(m, input.userId, 'anti-phishing-code', before);
      return { ok: true };
    });
  }
}
