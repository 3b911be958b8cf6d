import { APP_CONFIG, AppConfig } from '@app/config';
import { hashToken } from '@app/crypto';
import { AuditRepository, CustomerRepository, EmailVerificationRepository, Transactions } from '@app/database';
import { Inject, Injectable } from '@nestjs/common';
import { Problem } from '../http/problem';

/** A verification link used: the customer's address becomes the verified one, and withdrawals lock for a while. */
@Injectable()
export class EmailVerificationService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly verifications: EmailVerificationRepository,
    private readonly customers: CustomerRepository,
    private readonly audit: AuditRepository,
  ) {}

  async verify(token: string): Promise<void> {
    await this.transactions.run(async (m) => {
      const v = await this.verifications.consume(m, hashToken(token));
      if (!v) throw new Problem('token_invalid');
      await this.customers.setVerifiedEmail(m, v.userId, v.email);
      await this.customers.lockWithdrawals(m, v.userId, this.config.securityChangeLockMs);
      await this.audit.append(m, { event: 'email_verified', userId: v.userId });
    });
  }
}
