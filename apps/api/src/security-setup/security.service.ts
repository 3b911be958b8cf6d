import { APP_CONFIG, AppConfig } from '@app/config';
import { newTotpSecret, otpauthUri, sealTotpSecret } from '@app/crypto';
import {
  AuditRepository,
  CustomerRepository,
  EmailVerificationRepository,
  PushSubscriptionRepository,
  TotpRepository,
  Transactions,
} from '@app/database';
import { Outbox, OutboxRelay, QueueName } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { EMAIL_VERIFICATION_VALID_MS } from '../api-constants';
import { VerdictClient } from '../http/verdict-client';
import { SecurityStatusDto, TotpEnrolmentDto } from './security.dto';

/** Email and TOTP set-up. The TOTP secret is sealed to the confirmation service before it is stored. */
@Injectable()
export class SecurityService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly customers: CustomerRepository,
    private readonly verifications: EmailVerificationRepository,
    private readonly totp: TotpRepository,
    private readonly devices: PushSubscriptionRepository,
    private readonly outbox: Outbox,
    private readonly relay: OutboxRelay,
    private readonly audit: AuditRepository,
    private readonly verdicts: VerdictClient,
  ) {}

  async status(userId: string): Promise<SecurityStatusDto> {
    const c = await this.customers.ensure(userId);
    const [active, devices] = await Promise.all([this.totp.isActive(userId), this.devices.countLive(userId)]);
    const locked = c.withdrawalsLockedUntil && c.withdrawalsLockedUntil.getTime() > Date.now();
    return {
      email: { address: c.email, verified: c.emailVerifiedAt !== null },
      totp: { active },
      pushDevices: devices,
      withdrawalsLockedUntil: locked ? c.withdrawalsLockedUntil!.toISOString() : null,
    };
  }

  async requestEmailChange(userId: string, email: string): Promise<void> {
    await this.customers.ensure(userId);
    await this.transactions.run(async (m) => {
      const verificationId = await this.verifications.insert(m, userId, email, new Date(Date.now() + EMAIL_VERIFICATION_VALID_MS));
      await this.outbox.add(m, [
        { queue: QueueName.Notifications, name: 'send-email-verification', jobId: `verify-${verificationId}`, data: { verificationId } },
      ]);
      await this.audit.append(m, { event: 'email_change_requested', userId });
    });
    this.relay.kick();
  }

  async enrolTotp(userId: string): Promise<TotpEnrolmentDto> {
    await this.customers.ensure(userId);
    const secret = newTotpSecret();
    await this.transactions.run(async (m) => {
      await this.totp.insertPending(m, userId, sealTotpSecret(secret, this.config.totpSeal.publicKey));
      await this.audit.append(m, { event: 'totp_enrolment_started', userId });
    });
    return { secret, otpauthUri: otpauthUri(secret, userId) };
  }

  async activateTotp(userId: string, code: string): Promise<void> {
    await this.verdicts.ask({ name: 'activate-totp', data: { userId, code } });
  }
}
