import { APP_CONFIG, AppConfig } from '@app/config';
import { PushSubscriptionRepository } from '@app/database';
import { Inject, Injectable } from '@nestjs/common';
import { DevicePush } from '../push/device-push';
import { ChallengeIssuer, IssueOutcome } from './challenge-issuer';

/** The push factor on one device: the payload of shared/API.md, encrypted to that device's keys. */
@Injectable()
export class SendChallengePush {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly devices: PushSubscriptionRepository,
    private readonly issuer: ChallengeIssuer,
    private readonly push: DevicePush,
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
        ...(w.antiPhishingCode ? { antiPhishingCode: w.antiPhishingCode } : {}),
      };
      const ttl = (w.expiresAt.getTime() - Date.now()) / 1000;
      return this.push.send(device, payload, ttl);
    });
  }
}
