import { FactorStatus, TokenFactor, WithdrawalStatus } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { RecordedChange } from '../recorded-changes';
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

  async lockByToken(m: EntityManager, tokenHash: Buffer): Promise<ChallengeRow | undefined> {
    return this.row<ChallengeRow>(
      `SELECT c.id, c.withdrawal_id AS "withdrawalId", c.factor, t.token_hash AS "tokenHash", c.digest, c.consumed_at AS "consumedAt"
         FROM challenge_tokens t JOIN challenges c ON c.id = t.challenge_id WHERE t.token_hash = $1 FOR UPDATE OF c`,
      [tokenHash],
      m,
    );
  }

  async consume(m: EntityManager, id: string): Promise<void> {
    const change = this.consumeChange(id);
    await m.query(change.sql, change.params);
  }

  /** Its token used: the challenge answers no further decision. */
  consumeChange(id: string): RecordedChange {
    return { sql: 'UPDATE challenges SET consumed_at = now() WHERE id = $1', params: [id] };
  }

  /**
   * The challenge for this withdrawal, factor and device — made, bound to `digest`, if it is not there yet —
   * locked for its delivery, in one statement: the no-op update of an existing row is what locks it (and
   * waits out a concurrent maker), as SELECT … FOR UPDATE would.
   */
  async lockForDelivery(
    m: EntityManager,
    withdrawalId: string,
    factor: TokenFactor,
    subscriptionId: string | null,
    digest: Buffer,
    leaseSeconds: number,
  ): Promise<DeliveryClaim> {
    const [row] = await this.rows<DeliveryClaim>(
      `INSERT INTO challenges (withdrawal_id, factor, subscription_id, digest) VALUES ($1, $2, $3, $4)
         ON CONFLICT ON CONSTRAINT challenges_one_per_device DO UPDATE SET claimed_at = challenges.claimed_at
       RETURNING id, sent_at AS "sentAt", coalesce(claimed_at > now() - make_interval(secs => $5), false) AS leased`,
      [withdrawalId, factor, subscriptionId, digest, leaseSeconds],
      m,
    );
    return row;
  }

  /**
   * Takes the delivery: the lease, and a fresh token beside any sent before. A message that went out before a
   * crash (its "sent" never recorded) keeps a working link: either token consumes the challenge, once. One statement.
   */
  async claim(m: EntityManager, id: string, tokenHash: Buffer): Promise<void> {
    await m.query(
      `WITH token AS (INSERT INTO challenge_tokens (token_hash, challenge_id) VALUES ($2, $1))
       UPDATE challenges SET token_hash = $2, claimed_at = now() WHERE id = $1`,
      [id, tokenHash],
    );
  }

  /** Gives the delivery back after a failed send, so that the job's own retry delivers at once. */
  async releaseClaim(id: string): Promise<void> {
    await this.db().query('UPDATE challenges SET claimed_at = NULL WHERE id = $1', [id]);
  }

  /** Marks it sent: recorded with its audit entry (AuditRepository.appendWith). */
  sentChange(id: string): RecordedChange {
    return { sql: 'UPDATE challenges SET sent_at = now() WHERE id = $1', params: [id] };
  }

  /**
   * What a push fan-out weighs, in one statement (under the push budget lock): the customer's live devices,
   * oldest first; those this withdrawal already has a push challenge for; and the customer's push challenges
   * of the last hour for withdrawals still open (the push-bombing budget: a withdrawal created and cancelled
   * gives its pushes back, so a flood of them cannot use up the budget of the next real one; creations are
   * rate-limited per customer as well).
   */
  async pushFanOut(m: EntityManager, withdrawalId: string, userId: string): Promise<{ live: string[]; pushed: Set<string>; recent: number }> {
    const [row] = await this.rows<{ live: string[]; pushed: string[]; recent: number }>(
      `SELECT (SELECT coalesce(array_agg(id::text ORDER BY created_at), '{}') FROM push_subscriptions
                WHERE user_id = $2 AND retired_at IS NULL) AS live,
              (SELECT coalesce(array_agg(subscription_id::text), '{}') FROM challenges
                WHERE withdrawal_id = $1 AND factor = 'push') AS pushed,
              (SELECT count(*)::int FROM challenges c JOIN withdrawals w ON w.id = c.withdrawal_id
                WHERE w.user_id = $2 AND c.factor = 'push' AND c.created_at > now() - interval '1 hour'
                  AND w.status IN ('pending_confirmation', 'held')) AS recent`,
      [withdrawalId, userId],
      m,
    );
    return { live: row.live, pushed: new Set(row.pushed), recent: row.recent };
  }

  /**
   * The withdrawal's owner, with the owner's push budget lock taken for the rest of the transaction (fan-outs
   * for one customer take turns); undefined for no such withdrawal. One statement: the statements after it
   * read with a snapshot taken once the lock is held.
   */
  async ownerWithPushBudgetLock(m: EntityManager, withdrawalId: string): Promise<string | undefined> {
    const row = await this.row<{ user_id: string }>(
      `SELECT user_id, pg_advisory_xact_lock(hashtext('push-budget:' || user_id)) FROM withdrawals WHERE id = $1`,
      [withdrawalId],
      m,
    );
    return row?.user_id;
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
