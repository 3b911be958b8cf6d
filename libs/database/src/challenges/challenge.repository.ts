import { FactorStatus, TokenFactor, WithdrawalStatus } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Repository } from '../repository';
import { ChallengeEntity } from './challenge.entity';

export type ChallengeRow = Pick<ChallengeEntity, 'id' | 'withdrawalId' | 'factor' | 'tokenHash' | 'digest' | 'consumedAt'>;

/** What the confirmation page shows for a token: the challenge, its withdrawal, and its factor's status. */
export interface ChallengePage {
  tokenHash: Buffer;
  factor: TokenFactor;
  consumedAt: Date | null;
  factorStatus: FactorStatus;
  withdrawal: {
    status: WithdrawalStatus;
    asset: string;
    network: string;
    amount: string;
    address: string;
    createdAt: Date;
    expiresAt: Date;
    requestIp: string | null;
    matchChoices: string[];
  };
}

/** A page's row as Postgres answers it: the withdrawal's times arrive as JSON strings. */
type ChallengePageRow = Omit<ChallengePage, 'withdrawal'> & {
  withdrawal: Omit<ChallengePage['withdrawal'], 'createdAt' | 'expiresAt'> & { createdAt: string; expiresAt: string };
};

/** A challenge's delivery state, read under its row lock. */
export interface DeliveryClaim {
  id: string;
  sentAt: Date | null;
  /** Another delivery of it started less than the lease ago. */
  leased: boolean;
}

/**
 * `challenges`: one per withdrawal, factor and device, with the hash of its token. Its reads for the
 * confirmation page and the push budget join the withdrawal they belong to.
 */
@Injectable()
export class ChallengeRepository extends Repository {
  async findForPage(tokenHash: Buffer): Promise<ChallengePage | undefined> {
    const row = await this.row<ChallengePageRow>(
      `SELECT t.token_hash AS "tokenHash", c.factor, c.consumed_at AS "consumedAt",
              (SELECT status FROM withdrawal_factors f WHERE f.withdrawal_id = w.id AND f.factor = c.factor) AS "factorStatus",
              json_build_object('status', w.status, 'asset', w.asset, 'network', w.network, 'amount', w.amount::text,
                'address', w.address, 'createdAt', w.created_at, 'expiresAt', w.expires_at, 'requestIp', w.request_ip,
                'matchChoices', w.match_choices) AS withdrawal
         FROM challenge_tokens t JOIN challenges c ON c.id = t.challenge_id JOIN withdrawals w ON w.id = c.withdrawal_id
        WHERE t.token_hash = $1`,
      [tokenHash],
    );
    if (!row) return undefined;
    const w = row.withdrawal;
    return { ...row, withdrawal: { ...w, createdAt: new Date(w.createdAt), expiresAt: new Date(w.expiresAt) } };
  }

  async withdrawalIdOfToken(tokenHash: Buffer): Promise<string | undefined> {
    const row = await this.row<{ withdrawal_id: string }>(
      'SELECT c.withdrawal_id FROM challenge_tokens t JOIN challenges c ON c.id = t.challenge_id WHERE t.token_hash = $1',
      [tokenHash],
    );
    return row?.withdrawal_id;
  }

  async lockByToken(m: EntityManager, tokenHash: Buffer): Promise<ChallengeRow | undefined> {
    return this.row<ChallengeRow>(
      `SELECT c.id, c.withdrawal_id AS "withdrawalId", c.factor, t.token_hash AS "tokenHash", c.digest, c.consumed_at AS "consumedAt"
         FROM challenge_tokens t JOIN challenges c ON c.id = t.challenge_id WHERE t.token_hash = $1 FOR UPDATE OF c`,
      [tokenHash],
      m,
    );
  }

  async consume(m: EntityManager, id: string): Promise<void> {
    await m.query('UPDATE challenges SET consumed_at = now() WHERE id = $1', [id]);
  }

  /** Makes the challenge unless it exists (one per withdrawal, factor and device). */
  async ensure(m: EntityManager, withdrawalId: string, factor: TokenFactor, subscriptionId: string | null, digest: Buffer): Promise<void> {
    await m.query(
      `INSERT INTO challenges (withdrawal_id, factor, subscription_id, digest) VALUES ($1, $2, $3, $4)
         ON CONFLICT ON CONSTRAINT challenges_one_per_device DO NOTHING`,
      [withdrawalId, factor, subscriptionId, digest],
    );
  }

  async lockForDelivery(
    m: EntityManager,
    withdrawalId: string,
    factor: TokenFactor,
    subscriptionId: string | null,
    leaseSeconds: number,
  ): Promise<DeliveryClaim> {
    const [row] = await this.rows<DeliveryClaim>(
      `SELECT id, sent_at AS "sentAt", coalesce(claimed_at > now() - make_interval(secs => $4), false) AS leased
         FROM challenges WHERE withdrawal_id = $1 AND factor = $2 AND subscription_id IS NOT DISTINCT FROM $3 FOR UPDATE`,
      [withdrawalId, factor, subscriptionId, leaseSeconds],
      m,
    );
    return row;
  }

  /**
   * Takes the delivery: the lease, and a fresh token beside any sent before. A message that went out before a
   * crash (its "sent" never recorded) keeps a working link: either token consumes the challenge, once.
   */
  async claim(m: EntityManager, id: string, tokenHash: Buffer): Promise<void> {
    await m.query('INSERT INTO challenge_tokens (token_hash, challenge_id) VALUES ($2, $1)', [id, tokenHash]);
    await m.query('UPDATE challenges SET token_hash = $2, claimed_at = now() WHERE id = $1', [id, tokenHash]);
  }

  /** Gives the delivery back after a failed send, so that the job's own retry delivers at once. */
  async releaseClaim(id: string): Promise<void> {
    await this.db().query('UPDATE challenges SET claimed_at = NULL WHERE id = $1', [id]);
  }

  async markSent(m: EntityManager, id: string): Promise<void> {
    await m.query('UPDATE challenges SET sent_at = now() WHERE id = $1', [id]);
  }

  /** The devices that already have a push challenge for this withdrawal. */
  async pushedSubscriptionIds(m: EntityManager, withdrawalId: string): Promise<Set<string>> {
    const rows = await this.rows<{ subscription_id: string }>(
      `SELECT subscription_id FROM challenges WHERE withdrawal_id = $1 AND factor = 'push'`,
      [withdrawalId],
      m,
    );
    return new Set(rows.map((r) => r.subscription_id));
  }

  /**
   * Push challenges made for the customer in the last hour, of withdrawals still open (the push-bombing
   * budget): a withdrawal created and cancelled gives its pushes back, so a flood of them cannot use up the
   * budget of the next real one (creations are rate-limited per customer as well).
   */
  async recentPushCount(m: EntityManager, userId: string): Promise<number> {
    const [row] = await this.rows<{ recent: number }>(
      `SELECT count(*)::int AS recent FROM challenges c JOIN withdrawals w ON w.id = c.withdrawal_id
        WHERE w.user_id = $1 AND c.factor = 'push' AND c.created_at > now() - interval '1 hour'
          AND w.status IN ('pending_confirmation', 'held')`,
      [userId],
      m,
    );
    return row.recent;
  }

  /** Takes the customer's push budget lock for the rest of the transaction: fan-outs for one customer take turns. */
  async lockPushBudget(m: EntityManager, userId: string): Promise<void> {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`push-budget:${userId}`]);
  }

  /** A push challenge for the device, bound to the withdrawal's current digest. */
  async ensurePush(m: EntityManager, withdrawalId: string, subscriptionId: string): Promise<void> {
    await m.query(
      `INSERT INTO challenges (withdrawal_id, factor, subscription_id, digest)
         SELECT id, 'push', $2, digest FROM withdrawals WHERE id = $1
       ON CONFLICT ON CONSTRAINT challenges_one_per_device DO NOTHING`,
      [withdrawalId, subscriptionId],
    );
  }
}
