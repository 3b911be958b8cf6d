import { APP_CONFIG, AppConfig } from '@app/config';
import { newTotpSecret, otpauthUri, sealTotpSecret } from '@app/crypto';
import { AntiPhishingCodeRepository, CustomerRepository, PasskeyRepository, PushSubscriptionRepository, TotpRepository } from '@app/database';
import { Inject, Injectable } from '@nestjs/common';
import { VerdictClient } from '../http/verdict-client';
import { SecurityStatusDto, TotpEnrolmentDto } from './security.dto';

/**
 * The customer's email and authenticator. The API changes neither: it relays each change, with its proof
 * (a current TOTP code once TOTP is active) sealed, to the confirmation service, which checks it, makes the
 * change, announces it on the old channels and ends open withdrawals.
 */
@Injectable()
export class SecurityService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly customers: CustomerRepository,
    private readonly totp: TotpRepository,
    private readonly devices: PushSubscriptionRepository,
    private readonly verdicts: VerdictClient,
    private readonly passkeys: PasskeyRepository,
    private readonly antiPhishingCodes: AntiPhishingCodeRepository,
  ) {}

  async status(userId: string): Promise<SecurityStatusDto> {
    const c = await this.customers.ensure(userId);
    const [active, devices, passkeys, code] = await Promise.all([
      this.totp.isActive(userId),
      this.devices.countLive(userId),
      this.passkeys.countLive(userId),
      this.antiPhishingCodes.find(userId),
    ]);
    const locked = c.withdrawalsLockedUntil && c.withdrawalsLockedUntil.getTime() > Date.now();
    return {
      email: { address: c.email, verified: c.emailVerifiedAt !== null },
      totp: { active },
      pushDevices: devices,
      withdrawalsLockedUntil: locked ? c.withdrawalsLockedUntil!.toISOString() : null,
      frozen: c.withdrawalsFrozenAt !== null,
      passkeys,
      antiPhishingCode: code !== undefined,
    };
  }

  async requestEmailChange(userId: string, email: string, totpCode?: string): Promise<void> {
    await this.customers.ensure(userId);
    await this.verdicts.ask('change-email', { userId, email }, { totpCode });
  }

  /** A pending authenticator: its secret is shown to the customer once and stored only sealed to the confirmation service. */
  async enrolTotp(userId: string, currentCode?: string): Promise<TotpEnrolmentDto> {
    await this.customers.ensure(userId);
    const secret = newTotpSecret();
    await this.verdicts.ask('enrol-totp', { userId, sealedSecret: sealTotpSecret(secret, this.config.totpSeal.publicKey) }, { currentCode });
    return { secret, otpauthUri: otpauthUri(secret, userId) };
  }

  async activateTotp(userId: string, code: string): Promise<void> {
    await this.verdicts.ask('activate-totp', { userId }, { code });
  }
}
