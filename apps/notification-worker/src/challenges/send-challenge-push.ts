import { APP_CONFIG, AppConfig } from '@app/config';
import { appendAudit } from '@app/database';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PushSender } from '../push/push-sender';
import { ACTOR, ChallengeIssuer, IssueOutcome } from './challenge-issuer';

/** The push factor on one device: the payload of shared/API.md, encrypted to that device's keys. */
@Injectable()
export class SendChallengePush {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly issuer: ChallengeIssuer,
    private readonly push: PushSender,
  ) {}

  async execute(withdrawalId: string, subscriptionId: string): Promise<IssueOutcome | 'device_retired'> {
    const [sub] = await this.dataSource.query(
      'SELECT id, user_id, endpoint, p256dh, auth, retired_at FROM push_subscriptions WHERE id = $1',
      [subscriptionId],
    );
    if (!sub || sub.retired_at) return 'device_retired';
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
        expiresAt: w.expires_at.toISOString(),
      };
      const ttl = (w.expires_at.getTime() - Date.now()) / 1000;
      const result = await this.push.send({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, payload, ttl);
      if (result === 'gone') await this.retire(sub.id, sub.user_id);
      return result === 'delivered';
    });
  }

  /** The push service says the device is gone: it gets no more pushes. */
  private async retire(subscriptionId: string, userId: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.query(
        `UPDATE push_subscriptions SET retired_at = now(), retired_reason = 'gone' WHERE id = $1 AND retired_at IS NULL`,
        [subscriptionId],
      );
      await appendAudit(m, { actor: ACTOR, event: 'push_subscription_retired', userId, detail: { subscriptionId } });
    });
  }
}
