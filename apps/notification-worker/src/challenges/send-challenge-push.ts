import { APP_CONFIG, AppConfig } from '@app/config';
import { PushTake, WithdrawalForMessage } from '@app/database';
import { Inject, Injectable } from '@nestjs/common';
import { DevicePush } from '../push/device-push';
import { PushServiceSlots } from '../push/push-service-slots';
import { ChallengeContext, ChallengeIssuer, IssueOutcome } from './challenge-issuer';

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
    return this.issuer.issue(withdrawalId, 'push', subscriptionId, this.deliver(withdrawalId, subscriptionId));
  }

  /** The same for a challenge the fan-out's statement took with `token`'s hash. */
  executeTaken(withdrawalId: string, taken: { withdrawal: WithdrawalForMessage; push: PushTake }, token: string): Promise<IssueOutcome> {
    return this.issuer.issueTaken(withdrawalId, taken, token, this.deliver(withdrawalId, taken.push.device.id));
  }

  private deliver(withdrawalId: string, subscriptionId: string) {
    return async ({ withdrawal: w, device }: ChallengeContext, token: string): Promise<boolean> => {
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
    };
  }
}
