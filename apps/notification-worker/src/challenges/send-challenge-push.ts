import { APP_CONFIG, AppConfig } from '@app/config';
import { PushDevice, PushSubscriptionRepository } from '@app/database';
import { Inject, Injectable } from '@nestjs/common';
import { DevicePush } from '../push/device-push';
import { PushServiceSlots } from '../push/push-service-slots';
import { ChallengeIssuer, IssueOutcome } from './challenge-issuer';

/** The push factor on one device: the payload of shared/API.md, encrypted to that device's keys. */
@Injectable()
export class SendChallengePush {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly devices: PushSubscriptionRepository,
    private readonly issuer: ChallengeIssuer,
    private readonly push: DevicePush,
    private readonly slots: PushServiceSlots,
  ) {}

  async execute(withdrawalId: string, subscriptionId: string): Promise<IssueOutcome | 'device_retired'> {
    const device = await this.devices.find(subscriptionId);
    if (!device || device.retiredAt) return 'device_retired';
    // Before the challenge is claimed: a busy push service leaves nothing to release.
    return this.slots.run(device.endpoint, () => this.issue(withdrawalId, subscriptionId, device));
  }

  private issue(withdrawalId: string, subscriptionId: string, device: PushDevice): Promise<IssueOutcome> {
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
        ...(w.antiPhishingCode ? { antiPhishingCode: w.antiPhishingCode } : {}),
      };
      const ttl = (w.expiresAt.getTime() - Date.now()) / 1000;
      return this.push.send(device, payload, ttl);
    });
  }
}
