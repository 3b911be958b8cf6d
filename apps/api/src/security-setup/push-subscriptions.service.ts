import { APP_CONFIG, AppConfig } from '@app/config';
import { AuditRepository, CustomerRepository, PushSubscriptionRepository, Transactions } from '@app/database';
import { Inject, Injectable } from '@nestjs/common';
import { Problem } from '../http/problem';
import { PushSubscriptionDto } from './security.dto';

/** The customer's push devices: a new one is a security change and locks withdrawals for a while. */
@Injectable()
export class PushSubscriptionsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly customers: CustomerRepository,
    private readonly devices: PushSubscriptionRepository,
    private readonly audit: AuditRepository,
  ) {}

  vapidPublicKey(): string {
    return this.config.vapid.publicKey;
  }

  /** Registers the device, or answers the id it already has. */
  async subscribe(userId: string, s: PushSubscriptionDto): Promise<string> {
    await this.customers.ensure(userId);
    return this.transactions.run(async (m) => {
      const existing = await this.devices.findLiveByEndpoint(m, userId, s.endpoint);
      if (existing) return existing;
      const id = await this.devices.insert(m, userId, { endpoint: s.endpoint, p256dh: s.keys.p256dh, auth: s.keys.auth });
      await this.customers.lockWithdrawals(m, userId, this.config.securityChangeLockMs);
      await this.audit.append(m, { event: 'push_device_added', userId, detail: { subscriptionId: id } });
      return id;
    });
  }

  async unsubscribe(userId: string, id: string): Promise<void> {
    await this.transactions.run(async (m) => {
      if (!(await this.devices.retire(m, id, 'removed by customer', userId))) throw new Problem('not_found');
      await this.audit.append(m, { event: 'push_device_removed', userId, detail: { subscriptionId: id } });
    });
  }
}
