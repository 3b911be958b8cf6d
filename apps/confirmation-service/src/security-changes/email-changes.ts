import { hashToken } from '@app/crypto';
import { AuditRepository, CustomerRepository, EmailVerificationRepository, Transactions } from '@app/database';
import { problem, Verdict } from '@app/domain';
import { jobId, Outbox, QueueName } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { SecurityChanges } from './security-changes';
import { isRefusal, StepUp } from './step-up';

/** How long an email verification link works. */
export const EMAIL_VERIFICATION_VALID_MS = 24 * 3600 * 1000;

/**
 * A new email address: requested with a TOTP code once TOTP is active, announced at once to the old
 * address and the devices (so the customer can say "this wasn't me" before it takes effect), and effective
 * only when the link mailed to the new address is used — the newest link only.
 */
@Injectable()
export class EmailChanges {
  constructor(
    private readonly transactions: Transactions,
    private readonly stepUp: StepUp,
    private readonly customers: CustomerRepository,
    private readonly verifications: EmailVerificationRepository,
    private readonly changes: SecurityChanges,
    private readonly outbox: Outbox,
    private readonly audit: AuditRepository,
  ) {}

  request(input: { userId: string; email: string; totpCode?: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const before = await this.stepUp.require(m, input.userId, input.totpCode);
      if (isRefusal(before)) return before;
      const verificationId = await this.verifications.insert(m, input.userId, input.email, new Date(Date.now() + EMAIL_VERIFICATION_VALID_MS));
      await this.outbox.add(m, [
        { queue: QueueName.Notifications, name: 'send-email-verification', jobId: jobId('verify', verificationId), data: { verificationId } },
      ]);
      await this.audit.append(m, { event: 'email_change_requested', userId: input.userId });
      // Announced now, to the address that is still the customer's, while the change can still be stopped.
      if (before.emailVerified) await this.changes.announce(m, input.userId, 'email', before);
      return { ok: true, status: 'verification_sent' };
    });
  }

  verify(input: { token: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const v = await this.verifications.consume(m, hashToken(input.token));
      if (!v) return problem('token_invalid');
      const before = await this.stepUp.before(m, v.userId);
      // Postgres locks withdrawals on the new address (users_guard); the open ones end here.
      await this.customers.setVerifiedEmail(m, v.userId, v.email);
      await this.audit.append(m, { event: 'email_verified', userId: v.userId });
      if (before.emailVerified) await this.changes.announce(m, v.userId, 'email', before);
      return { ok: true, status: 'verified' };
    });
  }
}
