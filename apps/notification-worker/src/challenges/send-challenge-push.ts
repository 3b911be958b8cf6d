import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Injectable } from '@nestjs/common';
import { DevicePush } from '../push/device-push';
import { PushServiceSlots } from '../push/push-service-slots';
import { ChallengeIssuer, IssueOutcome } from './challenge-issuer';

/** The push factor on one device: the payload of shared/API.md, encrypted to that device's keys. */
@Injectable()
export class SendChallengePush {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly issuer: ChallengeIssuer,
    private readonly push: DevicePush,
    private readonly slots: PushServiceSlots,
  ) {}

  /**
   * The device is read with the challenge's claim, in the same statement. A push service that turns out to
   * be busy throws PushServiceBusy before anything is sent, and the claim is given back with it (LeasedDelivery).
   */
  execute(withdrawalId: string, subscriptionId: string): Promise<IssueOutcome> {
    return this.issuer.issue(withdrawalId, 'push', subscriptionId, async ({ withdrawal: w, device }, token) => {
      if (!device) throw new Error(`push challenge ${withdrawalId}/${subscriptionId} was taken without its device`);
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
      return this.slots.run(device.endpoint, () => this.push.send(device, payload, ttl));
    });
  }
}
