import { AppRole } from '@app/config';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { InjectDataSource } from '@nestjs/typeorm';
import { RecordedChange } from '../recorded-changes';
import { Repository } from '../repository';
import { APP_ROLE } from '../app-role';
import { AuditEventEntity } from './audit-event.entity';

/** Who wrote an entry: the app itself, named after its database role. */
export const APP_ACTORS: Record<AppRole, string> = {
  api: 'api',
  notifier: 'notification-worker',
  confirmer: 'confirmation-service',
};

export interface AuditEntry {
  event: string;
  userId?: string | null;
  withdrawalId?: string | null;
  detail?: Record<string, unknown>;
  /** The operator whose verified action this is; otherwise the entry is the app's own. */
  operatorId?: string;
}

/**
 * An entry as operators read it, with its link in the hash chain (hex SHA-256 `hash` over `prevHash` and the
 * entry; see the audit-chain migration), its chain and its place in it. An entry still being committed has no link yet.
 */
export type AuditView = Pick<AuditEventEntity, 'id' | 'at' | 'actor' | 'event' | 'userId' | 'withdrawalId' | 'detail'> & {
  chain: number | null;
  seq: string | null;
  prevHash: string | null;
  hash: string | null;
};

/** `audit_events`: appended to inside the transaction of the change it records; never changed. */
@Injectable()
export class AuditRepository extends Repository {
  private readonly actor: string;

  constructor(@InjectDataSource() dataSource: DataSource, @Inject(APP_ROLE) role: AppRole) {
    super(dataSource);
    this.actor = APP_ACTORS[role];
  }

  /**
   * Postgres sets the actor from the writing role (audit_events_actor), so an operator's verified action is
   * written by the app that carried it out, the operator named in the detail.
   */
  async append(m: EntityManager, e: AuditEntry): Promise<void> {
    const entry = this.entryChange(e);
    await m.query(entry.sql, entry.params);
  }

  /** The entry as a change of its own, for a statement that makes it with others (changesAsWithClauses). */
  entryChange(e: AuditEntry): RecordedChange {
    return { sql: 'INSERT INTO audit_events (actor, event, user_id, withdrawal_id, detail) VALUES ($1, $2, $3, $4, $5)', params: this.values(e) };
  }

  private values(e: AuditEntry): unknown[] {
    return [
      e.operatorId ? `operator:${e.operatorId}` : this.actor,
      e.event,
      e.userId ?? null,
      e.withdrawalId ?? null,
      JSON.stringify(e.operatorId ? { ...e.detail, operator: e.operatorId } : (e.detail ?? {})),
    ];
  }

  /** Newest first; `before` is the id of the last entry of the previous page. */
  async page(filter: { withdrawalId?: string; userId?: string; event?: string; before?: string }, limit: number): Promise<AuditView[]> {
    return this.rows<AuditView>(
      `SELECT e.id::text, e.at, e.actor, e.event, e.user_id AS "userId", e.withdrawal_id AS "withdrawalId", e.detail,
              c.chain, c.seq::text AS seq, encode(c.prev_hash, 'hex') AS "prevHash", encode(c.hash, 'hex') AS hash
         FROM audit_events e LEFT JOIN audit_chain c ON c.event_id = e.id
        WHERE ($1::uuid IS NULL OR e.withdrawal_id = $1) AND ($2::text IS NULL OR e.user_id = $2) AND ($3::text IS NULL OR e.event = $3)
          AND ($4::bigint IS NULL OR e.id < $4) ORDER BY e.id DESC LIMIT $5`,
      [filter.withdrawalId ?? null, filter.userId ?? null, filter.event ?? null, filter.before ?? null, limit + 1],
    );
  }

  /** Withdrawals held by the risk controls so far, by reason. */
  async countHoldsByReason(): Promise<{ reason: string; count: number }[]> {
    return this.rows<{ reason: string; count: number }>(
      `SELECT detail->>'reason' AS reason, count(*)::int AS count FROM audit_events WHERE event = 'withdrawal_held' GROUP BY 1`,
    );
  }

  async countEvents(events: readonly string[]): Promise<{ event: string; count: number }[]> {
    return this.rows<{ event: string; count: number }>(
      'SELECT event, count(*)::int AS count FROM audit_events WHERE event = ANY($1) GROUP BY event',
      [events],
    );
  }

  /** Failed attempts to send a notification, by channel (email, push), from the audit log. */
  async countNotificationFailures(): Promise<{ channel: string; count: number }[]> {
    return this.rows<{ channel: string; count: number }>(
      `SELECT detail->>'channel' AS channel, count(*)::int AS count FROM audit_events WHERE event = 'notification_send_failed' GROUP BY 1`,
    );
  }
}
