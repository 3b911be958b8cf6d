import { FactorStatus, OPEN_STATUSES, TokenFactor, WithdrawalStatus } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { RecordedChange } from '../recorded-changes';
import { Repository } from '../repository';
import { withdrawalForMessage, WithdrawalForMessage } from '../withdrawals/withdrawal.repository';
import { PushSubscriptionEntity } from '../push-subscriptions/push-subscription.entity';
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

/** A message's delivery record as one delivery attempt found it, and whether that attempt took it. */
export interface DeliveryTake {
  id: string;
  sentAt: Date | null;
  /**
   * This attempt took it (a lease and its token stored): it was not sent, and no other delivery of it
   * started less than the lease ago. False for one sent already or leased to another attempt.
   */
  claimed: boolean;
}

/** A push device as a push to it needs it: live when its challenge was taken. */
export type LivePushDevice = Pick<PushSubscriptionEntity, 'id' | 'userId' | 'endpoint' | 'p256dh' | 'auth'>;

/** A delivery attempt's take of a challenge: what its message shows, the record taken, and for a push its device. */
export interface ChallengeTake {
  withdrawal: WithdrawalForMessage;
  delivery: DeliveryTake;
  device?: LivePushDevice;
}

/**
 * The SET list that takes a delivery record `t` with the token hash `tokenHash` unless it was sent or is
 * leased (claimed less than `lease` seconds ago); `t.token_hash = tokenHash` afterwards says it was taken.
 * For an UPDATE, or an INSERT's ON CONFLICT DO UPDATE: both see the row's newest version, under its lock.
 */
export function takeDeliverySet(t: string, tokenHash: string, lease: string): string {
  const free = `${t}.sent_at IS NULL AND (${t}.claimed_at IS NULL OR ${t}.claimed_at <= now() - make_interval(secs => ${lease}))`;
  return `token_hash = CASE WHEN ${free} THEN ${tokenHash} ELSE ${t}.token_hash END,
          claimed_at = CASE WHEN ${free} THEN now() ELSE ${t}.claimed_at END`;
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

  async consume(m: EntityManager, id: string): Promise<void> {
    const change = this.consumeChange(id);
    await m.query(change.sql, change.params);
  }

  /** Its token used: the challenge answers no further decision. */
  consumeChange(id: string): RecordedChange {
    return { sql: 'UPDATE challenges SET consumed_at = now() WHERE id = $1', params: [id] };
  }

  /**
   * One delivery attempt of the challenge for this withdrawal, factor and device, in one statement (atomic by
   * itself): the withdrawal as its message shows it, the device a push goes to, and the challenge (made bound
   * to the withdrawal's digest the first time) taken with `tokenHash` unless it went out already or another
   * attempt holds its lease, its token stored beside any sent before (a message that went out before a crash
   * keeps a working link; either token consumes the challenge, once). Nothing is taken or made when the
   * withdrawal is gone, finished or past its window (`closed`), or for a device that was retired since its
   * challenge was reserved (`device_retired`).
   */
  async take(
    withdrawalId: string,
    factor: TokenFactor,
    subscriptionId: string | null,
    tokenHash: Buffer,
    leaseSeconds: number,
  ): Promise<ChallengeTake | 'closed' | 'device_retired'> {
    const row = await this.row<
      WithdrawalForMessage & { deliveryId: string | null; sentAt: Date | null; claimed: boolean | null; device: LivePushDevice | null }
    >(
      `WITH w AS (${withdrawalForMessage('$1')}),
       d AS (SELECT s.id, s.user_id AS "userId", s.endpoint, s.p256dh, s.auth FROM push_subscriptions s
              WHERE s.id = $3::uuid AND s.retired_at IS NULL),
       taken AS (
         INSERT INTO challenges AS c (withdrawal_id, factor, subscription_id, digest, token_hash, claimed_at)
           SELECT w.id, $2, $3::uuid, w.digest, $4, now() FROM w
            WHERE w.status = ANY($6::text[]) AND w."expiresAt" > now() AND ($3::uuid IS NULL OR EXISTS (SELECT FROM d))
         ON CONFLICT ON CONSTRAINT challenges_one_per_device DO UPDATE SET ${takeDeliverySet('c', '$4', '$5')}
         RETURNING c.id, c.sent_at, c.token_hash = $4 AS claimed),
       token AS (INSERT INTO challenge_tokens (token_hash, challenge_id) SELECT $4, id FROM taken WHERE claimed)
       SELECT w.*, taken.id AS "deliveryId", taken.sent_at AS "sentAt", taken.claimed, (SELECT to_jsonb(d) FROM d) AS device
         FROM w LEFT JOIN taken ON true`,
      [withdrawalId, factor, subscriptionId, tokenHash, leaseSeconds, OPEN_STATUSES],
    );
    if (!row) return 'closed';
    if (subscriptionId !== null && !row.device) return 'device_retired';
    if (row.deliveryId === null) return 'closed';
    const { deliveryId, sentAt, claimed, device, ...withdrawal } = row;
    return { withdrawal, delivery: { id: deliveryId, sentAt, claimed: claimed === true }, ...(device ? { device } : {}) };
  }

  /** Gives the delivery back after a failed send, so that the job's own retry delivers at once. */
  async releaseClaim(id: string): Promise<void> {
    await this.db().query('UPDATE challenges SET claimed_at = NULL WHERE id = $1', [id]);
  }

  /** Marks it sent: a change made with its audit entry, and with other deliveries' marks (the notification worker's SentMarks). */
  sentChange(id: string): RecordedChange {
    return { sql: 'UPDATE challenges SET sent_at = now() WHERE id = $1', params: [id] };
  }

  /**
   * A withdrawal's push fan-out, in one statement (push_fan_out): under the owner's push budget lock, the
   * devices to push (those already challenged, then the fresh ones within PUSHES_PER_HOUR, each given its
   * challenge now) and how many were skipped (audited once per withdrawal). While the withdrawal is open,
   * the challenges of the first `tokenHashes.length` devices are taken as `take` takes one, each with the
   * hash of its place, and come back with the device and the withdrawal as the message shows it. Undefined
   * for no such withdrawal.
   */
  async fanOutPushes(withdrawalId: string, perHour: number, tokenHashes: Buffer[], leaseSeconds: number): Promise<PushFanOut | undefined> {
    const row = await this.row<Omit<PushFanOut, 'takes' | 'withdrawal'> & { takes: PushTakeRow[] } & WithdrawalForMessage>(
      `SELECT f.allowed, f.skipped, f.open, f.takes, w.*
         FROM push_fan_out($1, $2, $3::bytea[], $4) f LEFT JOIN (${withdrawalForMessage('$1')}) w ON true`,
      [withdrawalId, perHour, tokenHashes, leaseSeconds],
    );
    if (!row) return undefined;
    const { allowed, skipped, open, takes, ...withdrawal } = row;
    return {
      allowed,
      skipped,
      open,
      withdrawal,
      takes: takes.map((t) => ({
        place: t.n - 1,
        device: t.device,
        delivery: { id: t.deliveryId, sentAt: t.sentAt === null ? null : new Date(t.sentAt), claimed: t.claimed },
      })),
    };
  }
}

/** A push's challenge as the fan-out's statement took it (JSON: its time a string). */
interface PushTakeRow {
  n: number;
  deliveryId: string;
  sentAt: string | null;
  claimed: boolean;
  device: LivePushDevice;
}

/** A device's challenge taken by the fan-out, for the token at `place` of those it was given. */
export interface PushTake {
  place: number;
  device: LivePushDevice;
  delivery: DeliveryTake;
}

/** What a fan-out found and reserved: the devices to push, the skips, and the challenges it took. */
export interface PushFanOut {
  allowed: string[];
  skipped: number;
  /** Open and in its window: only then is anything taken. */
  open: boolean;
  withdrawal: WithdrawalForMessage;
  takes: PushTake[];
}
