import { AuditRepository, LivePushDevice, PushSubscriptionRepository, Transactions } from '@app/database';
import { Injectable } from '@nestjs/common';
import { SendFailures } from '../deliveries/send-failures';
import { PushSender } from './push-sender';

/**
 * A push to one of the customer's devices. A device its push service says is gone (404/410) is retired
 * at once, whichever message found out, and gets no more pushes.
 */
@Injectable()
export class DevicePush {
  constructor(
    private readonly transactions: Transactions,
    private readonly devices: PushSubscriptionRepository,
    private readonly push: PushSender,
    private readonly audit: AuditRepository,
    private readonly failures: SendFailures,
  ) {}

  /** Whether the push service accepted it; throws (to retry) when the push service failed. */
  async send(device: LivePushDevice, payload: object, ttlSeconds: number): Promise<boolean> {
    const subscription = { endpoint: device.endpoint, keys: { p256dh: device.p256dh, auth: device.auth } };
    const result = await this.failures.watch('push', () => this.push.send(subscription, payload, ttlSeconds));
    if (result === 'gone') await this.retire(device);
    return result === 'delivered';
  }

  private async retire(device: LivePushDevice): Promise<void> {
    await this.transactions.run(async (m) => {
      if (await this.devices.retire(m, device.id, 'gone')) {
        await this.audit.append(m, { event: 'push_subscription_retired', userId: device.userId, detail: { subscriptionId: device.id } });
      }
    });
  }
}
