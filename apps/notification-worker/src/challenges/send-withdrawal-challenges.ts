import { APP_CONFIG, AppConfig } from '@app/config';
import { appendAudit } from '@app/database';
import { JOB_OPTIONS, QueueName } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { ACTOR } from './challenge-issuer';

/**
 * Fans a new withdrawal out into one email job and one push job per live device, with deterministic
 * ids so a redelivery adds nothing new. Devices over the customer's hourly push budget are skipped
 * (push bombing), and the skip is audited.
 */
@Injectable()
export class SendWithdrawalChallenges {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QueueName.Notifications) private readonly notifications: Queue,
  ) {}

  async execute(withdrawalId: string): Promise<{ email: number; push: number; pushSkipped: number }> {
    const [w] = await this.dataSource.query('SELECT user_id FROM withdrawals WHERE id = $1', [withdrawalId]);
    if (!w) return { email: 0, push: 0, pushSkipped: 0 };
    // Counted and spent under one lock per customer, in one transaction: concurrent fan-outs for one customer
    // take turns, and each reserves its pushes (challenge rows) before the next one counts.
    const { allowed, skipped } = await this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`push-budget:${w.user_id}`]);
      const devices: { id: string; already: boolean }[] = await m.query(
        `SELECT s.id, EXISTS (SELECT 1 FROM challenges c WHERE c.withdrawal_id = $2 AND c.subscription_id = s.id) AS already
           FROM push_subscriptions s WHERE s.user_id = $1 AND s.retired_at IS NULL ORDER BY s.created_at`,
        [w.user_id, withdrawalId],
      );
      const [{ recent }] = await m.query(
        `SELECT count(*)::int AS recent FROM challenges c JOIN withdrawals w ON w.id = c.withdrawal_id
          WHERE w.user_id = $1 AND c.factor = 'push' AND c.created_at > now() - interval '1 hour'`,
        [w.user_id],
      );
      const budget = Math.max(0, this.config.pushesPerHour - recent);
      const fresh = devices.filter((d) => !d.already);
      const granted = fresh.slice(0, budget);
      for (const d of granted) {
        await m.query(
          `INSERT INTO challenges (withdrawal_id, factor, subscription_id, digest)
             SELECT id, 'push', $2, digest FROM withdrawals WHERE id = $1
           ON CONFLICT ON CONSTRAINT challenges_one_per_device DO NOTHING`,
          [withdrawalId, d.id],
        );
      }
      const skipped = fresh.length - granted.length;
      if (skipped > 0) {
        await appendAudit(m, { actor: ACTOR, event: 'push_rate_limited', userId: w.user_id, withdrawalId, detail: { skipped } });
      }
      return { allowed: [...devices.filter((d) => d.already), ...granted], skipped };
    });
    const options = JOB_OPTIONS[QueueName.Notifications];
    await this.notifications.addBulk([
      { name: 'send-challenge-email', data: { withdrawalId }, opts: { ...options, jobId: `email-${withdrawalId}` } },
      ...allowed.map((d) => ({
        name: 'send-challenge-push',
        data: { withdrawalId, subscriptionId: d.id },
        opts: { ...options, jobId: `push-${withdrawalId}-${d.id}` },
      })),
    ]);
    return { email: 1, push: allowed.length, pushSkipped: skipped };
  }
}
