import { hashToken, newToken } from '@app/crypto';
import { appendAudit } from '@app/database';
import { TokenFactor } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WithdrawalForMessage, WithdrawalReader } from './withdrawal-reader';

export const ACTOR = 'notification-worker';

/** How long one delivery attempt owns a challenge; a duplicate job waits this out (by retrying) before taking over. */
export const DELIVERY_LEASE_SECONDS = 30;

/** Thrown to a duplicate job while another delivers the same challenge; BullMQ retries it with backoff. */
export class DeliveryInProgress extends Error {}

export type IssueOutcome = 'sent' | 'already_sent' | 'withdrawal_closed' | 'not_sent';

/**
 * One challenge per withdrawal, factor and device. The token is made here, kept in memory for the one
 * message, and only its hash is stored — committed before the message leaves, so that a customer who
 * acts at once finds it. A redelivered job after the message went out changes nothing.
 */
@Injectable()
export class ChallengeIssuer {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly withdrawals: WithdrawalReader,
  ) {}

  async issue(
    withdrawalId: string,
    factor: TokenFactor,
    subscriptionId: string | null,
    deliver: (w: WithdrawalForMessage, token: string) => Promise<boolean>,
  ): Promise<IssueOutcome> {
    const claimed = await this.dataSource.transaction(async (m) => {
      const w = await this.withdrawals.read(m, withdrawalId);
      if (!w || !this.withdrawals.isOpen(w)) return undefined;
      await m.query(
        `INSERT INTO challenges (withdrawal_id, factor, subscription_id, digest) VALUES ($1, $2, $3, $4)
           ON CONFLICT ON CONSTRAINT challenges_one_per_device DO NOTHING`,
        [withdrawalId, factor, subscriptionId, w.digest],
      );
      const [challenge] = await m.query(
        `SELECT id, sent_at, coalesce(claimed_at > now() - make_interval(secs => $4), false) AS leased
           FROM challenges WHERE withdrawal_id = $1 AND factor = $2
            AND subscription_id IS NOT DISTINCT FROM $3 FOR UPDATE`,
        [withdrawalId, factor, subscriptionId, DELIVERY_LEASE_SECONDS],
      );
      if (challenge.sent_at) return { w, challengeId: challenge.id as string, token: undefined };
      // A duplicate of this job is delivering this very challenge right now: let it finish, look again later.
      if (challenge.leased) throw new DeliveryInProgress(`challenge ${challenge.id} is being delivered by another job`);
      const token = newToken();
      await m.query('UPDATE challenges SET token_hash = $2, claimed_at = now() WHERE id = $1', [challenge.id, hashToken(token)]);
      return { w, challengeId: challenge.id as string, token };
    });
    if (!claimed) return 'withdrawal_closed';
    if (!claimed.token) return 'already_sent';
    let delivered: boolean;
    try {
      delivered = await deliver(claimed.w, claimed.token);
    } catch (error) {
      // Release the claim so that this job's own retry delivers at once; after a crash the lease runs out instead.
      await this.dataSource.query('UPDATE challenges SET claimed_at = NULL WHERE id = $1', [claimed.challengeId]);
      throw error;
    }
    if (!delivered) return 'not_sent';
    await this.dataSource.transaction(async (m) => {
      await m.query('UPDATE challenges SET sent_at = now() WHERE id = $1', [claimed.challengeId]);
      await appendAudit(m, {
        actor: ACTOR,
        event: 'challenge_sent',
        userId: claimed.w.user_id,
        withdrawalId,
        detail: { factor, ...(subscriptionId ? { subscriptionId } : {}) },
      });
    });
    return 'sent';
  }
}
