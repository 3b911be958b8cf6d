import { CustomerRepository, PasskeyRepository } from '@app/database';
import { Injectable } from '@nestjs/common';
import { VerdictClient } from '../http/verdict-client';
import { PasskeyView } from './passkeys.dto';

/**
 * The customer's passkeys and anti-phishing code. The API makes neither: it relays each step, its proof
 * sealed, to the confirmation service, which issues the registration challenge after a TOTP code, verifies
 * the browser's answer and is the only one Postgres lets write a passkey.
 */
@Injectable()
export class PasskeysService {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly passkeys: PasskeyRepository,
    private readonly verdicts: VerdictClient,
  ) {}

  async registrationOptions(userId: string, totpCode?: string): Promise<Record<string, unknown>> {
    await this.customers.ensure(userId);
    const verdict = await this.verdicts.ask('passkey-registration-options', { userId }, { totpCode });
    return verdict.registrationOptions!;
  }

  async register(userId: string, response: Record<string, unknown>, label = ''): Promise<PasskeyView> {
    const verdict = await this.verdicts.ask('add-passkey', { userId, label }, { response });
    return { ...verdict.passkey!, lastUsedAt: null };
  }

  async list(userId: string): Promise<PasskeyView[]> {
    return (await this.passkeys.listLive(userId)).map((p) => ({
      id: p.id,
      label: p.label,
      createdAt: p.createdAt.toISOString(),
      lastUsedAt: p.lastUsedAt ? p.lastUsedAt.toISOString() : null,
    }));
  }

  async remove(userId: string, passkeyId: string, totpCode?: string): Promise<void> {
    await this.verdicts.ask('remove-passkey', { userId, passkeyId }, { totpCode });
  }

  async setAntiPhishingCode(userId: string, code: string, totpCode?: string): Promise<void> {
    await this.customers.ensure(userId);
    await this.verdicts.ask('set-anti-phishing-code', { userId }, { code, totpCode });
  }
}
