import { APP_CONFIG, AppConfig } from '@app/config';
import { AuditRepository, PushSubscriptionRepository, Transactions } from '@app/database';
import { Inject, Injectable } from '@nestjs/common';
import { PushSender } from '../push/push-sender';
import { ChallengeIssuer, IssueOutcome } from './challenge-issuer';

/** The push factor on one device: the payload of shared/API.md, encrypted to that device's keys. */
@Injectable()
export class SendChallengePush {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly devices: PushSubscriptionRepository,
    private readonly issuer: ChallengeIssuer,
    private readonly push: PushSender,
    private readonly audit: AuditRepository,
  ) {}

  async execute(withdrawalId: string, subscriptionId: string): Promise<IssueOutcome | 'device_retired'> {
    const device = await this.devices.find(subscriptionId);
    if (!device || device.retiredAt) return 'device_retired';
    return this.issuer.issue(withdrawalId, 'push', subscriptionId, async (w, token) => {
      const url = `${this.config.publicBaseUrl}/confirm/${token}`;
      const payload = {
        type: 'withdrawal-confirmation',
        withdrawalId: w.id,
        asset: w.asset,
        network: w.network,
        amount: w.amount,
        address: w.address,
        token,
        url,
        expiresAt: w.expiresAt.toISOString(),
      };
      const ttl = (w.expiresAt.getTime() - Date.now()) / 1000;
      const result = await this.push.send({ endpoint: device.endpoint, keys: { p256dh: device.p256dh, auth: device.auth } }, payload, ttl);
      if (result === 'gone') await this.retire(device.id, device.userId);
      return result === 'delivered';
    });
  }

  /** The push service says the device is gone: it gets no more pushes. */
  private async retire(subscriptionId: string, userId: string): Promise<void> {
    await this.transactions.run(async (m) => {
      await this.devices.retire(m, subscriptionId, 'gone');
      await this.audit.append(m, { event: 'push_subscription_retired', userId, detail: { subscriptionId } });
    });
  }
}
