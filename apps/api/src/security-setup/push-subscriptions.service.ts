import { APP_CONFIG, AppConfig } from '@app/config';
import { CustomerRepository } from '@app/database';
import { isAllowedPushEndpoint } from '@app/domain';
import { Inject, Injectable } from '@nestjs/common';
import { Problem } from '../http/problem';
import { VerdictClient } from '../http/verdict-client';
import { PushSubscriptionDto } from './security.dto';

/**
 * The customer's push devices. An endpoint must be on an allowed push service (PUSH_SERVICE_HOSTS). Adding
 * or removing a device is a factor change, made by the confirmation service after checking the TOTP code.
 */
@Injectable()
export class PushSubscriptionsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly customers: CustomerRepository,
    private readonly verdicts: VerdictClient,
  ) {}

  vapidPublicKey(): string {
    return this.config.vapid.publicKey;
  }

  /** Registers the device, or answers the id it already has. */
  async subscribe(userId: string, s: PushSubscriptionDto): Promise<string> {
    if (!isAllowedPushEndpoint(s.endpoint, this.config.pushServiceHosts)) {
      throw new Problem('validation_failed', 'endpoint must be on a known push service (PUSH_SERVICE_HOSTS)');
    }
    await this.customers.ensure(userId);
    const verdict = await this.verdicts.ask(
      'add-push-device',
      { userId, endpoint: s.endpoint, p256dh: s.keys.p256dh },
      { totpCode: s.totpCode, auth: s.keys.auth },
    );
    return verdict.id!;
  }

  async unsubscribe(userId: string, subscriptionId: string, totpCode?: string): Promise<void> {
    await this.verdicts.ask('remove-push-device', { userId, subscriptionId }, { totpCode });
  }
}
