import { APP_CONFIG, AppConfig } from '@app/config';
import { newTotpSecret, otpauthUri, sealTotpSecret } from '@app/crypto';
import { appendAudit } from '@app/database';
import { OutboxRelay, QueueName, writeOutbox } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CustomerRepository } from '../customers/customer.repository';
import { VerdictClient } from '../verdicts/verdict-client';
import { SecurityStatusDto, TotpEnrolmentDto } from './security.dto';

const EMAIL_VERIFICATION_VALID_MS = 24 * 3600 * 1000;
export const ACTOR = 'api';

/** Email and TOTP set-up. The TOTP secret is sealed to the confirmation service before it is stored. */
@Injectable()
export class SecurityService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly customers: CustomerRepository,
    private readonly verdicts: VerdictClient,
    private readonly relay: OutboxRelay,
  ) {}

  async status(userId: string): Promise<SecurityStatusDto> {
    const c = await this.customers.ensure(userId);
    const [{ active, devices }] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM totp_enrolments WHERE user_id = $1 AND status = 'active') AS active,
              (SELECT count(*)::int FROM push_subscriptions WHERE user_id = $1 AND retired_at IS NULL) AS devices`,
      [userId],
    );
    const locked = c.withdrawals_locked_until && c.withdrawals_locked_until.getTime() > Date.now();
    return {
      email: { address: c.email, verified: c.email_verified_at !== null },
      totp: { active },
      pushDevices: devices,
      withdrawalsLockedUntil: locked ? c.withdrawals_locked_until!.toISOString() : null,
    };
  }

  async requestEmailChange(userId: string, email: string): Promise<void> {
    await this.customers.ensure(userId);
    await this.dataSource.transaction(async (m) => {
      const [v] = await m.query(
        'INSERT INTO email_verifications (user_id, email, expires_at) VALUES ($1, $2, $3) RETURNING id',
        [userId, email, new Date(Date.now() + EMAIL_VERIFICATION_VALID_MS)],
      );
      await writeOutbox(m, [
        { queue: QueueName.Notifications, name: 'send-email-verification', jobId: `verify-${v.id}`, data: { verificationId: v.id } },
      ]);
      await appendAudit(m, { actor: ACTOR, event: 'email_change_requested', userId });
    });
    this.relay.kick();
  }

  async enrolTotp(userId: string): Promise<TotpEnrolmentDto> {
    await this.customers.ensure(userId);
    const secret = newTotpSecret();
    await this.dataSource.transaction(async (m) => {
      await m.query('INSERT INTO totp_enrolments (user_id, sealed_secret) VALUES ($1, $2)', [
        userId,
        sealTotpSecret(secret, this.config.totpSeal.publicKey),
      ]);
      await appendAudit(m, { actor: ACTOR, event: 'totp_enrolment_started', userId });
    });
    return { secret, otpauthUri: otpauthUri(secret, userId) };
  }

  async activateTotp(userId: string, code: string): Promise<void> {
    await this.verdicts.ask({ name: 'activate-totp', data: { userId, code } });
  }
}
