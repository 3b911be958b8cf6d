import { AnomalyKind } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { RecordedChange } from '../recorded-changes';
import { Repository } from '../repository';
import { WithdrawalRiskEntity } from './withdrawal-risk.entity';

export type WithdrawalRiskKeys = Pick<WithdrawalRiskEntity, 'ipKey' | 'deviceKey' | 'destinationKey' | 'distinctAccounts'>;

/** Another withdrawal that shares a key with the one under review. */
export interface RelatedWithdrawal {
  id: string;
  userId: string;
  status: string;
  asset: string;
  amount: string;
  createdAt: string;
}

export type WithdrawalRiskView = WithdrawalRiskKeys & { withdrawalId: string; related: Record<AnomalyKind, RelatedWithdrawal[]> };

/** At most this many withdrawals sharing one key are listed beside a held one. */
export const RELATED_LIMIT = 50;

const relatedBy = (column: string) => `
  (SELECT coalesce(json_agg(json_build_object('id', w.id, 'userId', w.user_id, 'status', w.status, 'asset', w.asset,
                                              'amount', w.amount::text, 'createdAt', w.created_at) ORDER BY o.created_at), '[]')
     FROM (SELECT o.withdrawal_id, o.created_at FROM withdrawal_risk o
            WHERE o.${column} = r.${column} AND o.withdrawal_id <> r.withdrawal_id
              AND o.created_at BETWEEN r.created_at - make_interval(secs => $2) AND r.created_at + make_interval(secs => $2)
            ORDER BY o.created_at LIMIT ${RELATED_LIMIT}) o
     JOIN withdrawals w ON w.id = o.withdrawal_id)`;

/**
 * `withdrawal_risk`, `risk_alerts` and the risk questions asked of `withdrawals`: the keys each withdrawal
 * was counted under, what one customer withdrew in a window, and whether an alert is due.
 */
@Injectable()
export class WithdrawalRiskRepository extends Repository {
  /** A withdrawal's keys as a change for the statement that makes it with others (changesAsWithClauses): the request's ledger hold. */
  recordChange(withdrawalId: string, keys: WithdrawalRiskKeys): RecordedChange {
    return {
      sql: 'INSERT INTO withdrawal_risk (withdrawal_id, ip_key, device_key, destination_key, distinct_accounts) VALUES ($1, $2, $3, $4, $5)',
      params: [withdrawalId, keys.ipKey, keys.deviceKey, keys.destinationKey, JSON.stringify(keys.distinctAccounts)],
    };
  }

  /**
   * Whether `amount` more would take the customer's withdrawals of `asset` since `since` above `limit`:
   * what was posted or is still open counts, what ended unposted does not. Takes a transaction-long lock
   * per customer and asset first, so two concurrent requests cannot both fit under the limit.
   */
  async exceedsVelocity(
    m: EntityManager,
    v: { userId: string; asset: string; amount: string; limit: string; since: Date },
  ): Promise<{ exceeds: boolean; total: string }> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('countersign-velocity' || chr(31) || $1 || chr(31) || $2, 0))`, [v.userId, v.asset]);
    const [row] = await this.rows<{ exceeds: boolean; total: string }>(
      `SELECT coalesce(sum(amount + fee), 0) + $3::numeric > $4::numeric AS exceeds, (coalesce(sum(amount + fee), 0) + $3::numeric)::text AS total
         FROM withdrawals
        WHERE user_id = $1 AND asset = $2 AND created_at > $5 AND status IN ('pending_confirmation', 'held', 'posted')`,
      [v.userId, v.asset, v.amount, v.limit, v.since],
      m,
    );
    return row;
  }

  /**
   * Claims the alert `key` for the next `windowMs`: true when no alert under that key went out within the
   * window (the caller then sends one, in the same transaction), false otherwise.
   */
  async claimAlert(m: EntityManager, key: string, windowMs: number): Promise<boolean> {
    const rows = await this.rows<{ key: string }>(
      `INSERT INTO risk_alerts (key) VALUES ($1)
         ON CONFLICT (key) DO UPDATE SET alerted_at = now() WHERE risk_alerts.alerted_at <= now() - make_interval(secs => $2)
       RETURNING key`,
      [key, windowMs / 1000],
      m,
    );
    return rows.length > 0;
  }

  /**
   * The risk counts from Postgres, for when Redis does not answer: per key, the distinct customers whose
   * withdrawals were counted under it since `since` (this customer included), the distinct customers who
   * requested in the minute before `now` (from the last resume at the earliest, this one included), and the
   * distinct customer-minutes in the hour before that. Only committed withdrawals are seen, so concurrent requests may each miss the others: a fallback,
   * not the primary count.
   */
  async recentCounts(q: {
    userId: string;
    keys: Partial<Record<AnomalyKind, string>>;
    since: Date;
    now: Date;
  }): Promise<{ ip: number | null; device: number | null; destination: number | null; lastMinute: number; trailingHour: number }> {
    const distinct = (column: string, param: string) => `CASE WHEN ${param}::text IS NULL THEN NULL ELSE
        (SELECT count(DISTINCT w.user_id) FROM withdrawal_risk r JOIN withdrawals w ON w.id = r.withdrawal_id
          WHERE r.${column} = ${param} AND r.created_at > $5 AND w.user_id <> $1)::int + 1 END`;
    const [row] = await this.rows<{ ip: number | null; device: number | null; destination: number | null; lastMinute: number; trailingHour: number }>(
      `SELECT ${distinct('ip_key', '$2')} AS ip, ${distinct('device_key', '$3')} AS device, ${distinct('destination_key', '$4')} AS destination,
              (SELECT count(DISTINCT user_id) FROM withdrawals
                WHERE user_id <> $1 AND created_at <= $6 AND created_at > greatest($6::timestamptz - interval '1 minute',
                        coalesce((SELECT max(at) FROM audit_events WHERE event = 'withdrawals_resumed'), '-infinity')))::int + 1 AS "lastMinute",
              (SELECT count(DISTINCT (user_id, date_trunc('minute', created_at))) FROM withdrawals
                WHERE created_at > $6::timestamptz - interval '61 minutes' AND created_at <= $6::timestamptz - interval '1 minute')::int AS "trailingHour"`,
      [q.userId, q.keys.ip ?? null, q.keys.device ?? null, q.keys.destination ?? null, q.since, q.now],
    );
    return row;
  }

  /** Each withdrawal's keys, with the other withdrawals that share each key within `windowMs` of it. */
  async views(withdrawalIds: string[], windowMs: number): Promise<WithdrawalRiskView[]> {
    if (!withdrawalIds.length) return [];
    const rows = await this.rows<
      WithdrawalRiskKeys & { withdrawalId: string; ip: RelatedWithdrawal[]; device: RelatedWithdrawal[]; destination: RelatedWithdrawal[] }
    >(
      `SELECT r.withdrawal_id AS "withdrawalId", r.ip_key AS "ipKey", r.device_key AS "deviceKey", r.destination_key AS "destinationKey",
              r.distinct_accounts AS "distinctAccounts",
              ${relatedBy('ip_key')} AS ip, ${relatedBy('device_key')} AS device, ${relatedBy('destination_key')} AS destination
         FROM withdrawal_risk r WHERE r.withdrawal_id = ANY($1::uuid[])`,
      [withdrawalIds, windowMs / 1000],
    );
    return rows.map(({ ip, device, destination, ...keys }) => ({ ...keys, related: { ip, device, destination } }));
  }

  /** What the notification worker tells operators about a held withdrawal. */
  async keysOf(withdrawalId: string, m?: EntityManager): Promise<(WithdrawalRiskKeys & { withdrawalId: string }) | undefined> {
    return this.row<WithdrawalRiskKeys & { withdrawalId: string }>(
      `SELECT withdrawal_id AS "withdrawalId", ip_key AS "ipKey", device_key AS "deviceKey", destination_key AS "destinationKey",
              distinct_accounts AS "distinctAccounts" FROM withdrawal_risk WHERE withdrawal_id = $1`,
      [withdrawalId],
      m,
    );
  }
}
