import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { RecordedChange } from '../recorded-changes';
import { Repository } from '../repository';
import { TotpEnrolmentStatus } from './totp.entity';

export type { TotpEnrolmentStatus };

export interface RecentFailures {
  failures: number;
  oldest: Date | null;
}

/** What a TOTP check reads first: the customer's recent failures and their newest enrolment in a status, with its sealed secret. */
export type TotpCheckFacts = RecentFailures & { enrolment?: { id: string; sealedSecret: string } };

/** A row of totp_check_facts, as Postgres returns it. */
export interface TotpCheckFactsRow {
  failures: number;
  oldest: Date | string | null;
  enrolmentId: string | null;
  sealedSecret: string | null;
}

const recentFailuresOf = (row: Pick<TotpCheckFactsRow, 'failures' | 'oldest'>): RecentFailures => ({
  failures: row.failures,
  oldest: row.oldest ? new Date(row.oldest) : null,
});

export function totpCheckFacts(row: TotpCheckFactsRow): TotpCheckFacts {
  return {
    ...recentFailuresOf(row),
    ...(row.enrolmentId && row.sealedSecret ? { enrolment: { id: row.enrolmentId, sealedSecret: row.sealedSecret } } : {}),
  };
}

/** `totp_enrolments`, `totp_used_steps` and `totp_failures`: authenticators, their used codes, and wrong ones. */
@Injectable()
export class TotpRepository extends Repository {
  /** A pending enrolment; the secret arrives sealed to the confirmation service. */
  async insertPending(m: EntityManager, userId: string, sealedSecret: string): Promise<void> {
    await m.query('INSERT INTO totp_enrolments (user_id, sealed_secret) VALUES ($1, $2)', [userId, sealedSecret]);
  }

  async isActive(userId: string): Promise<boolean> {
    const [row] = await this.rows<{ active: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM totp_enrolments WHERE user_id = $1 AND status = 'active') AS active`,
      [userId],
    );
    return row.active;
  }

  /** The newest enrolment in `status`, with its sealed secret (only the confirmation service may read it). */
  async newestSealed(m: EntityManager, userId: string, status: TotpEnrolmentStatus): Promise<{ id: string; sealedSecret: string } | undefined> {
    return this.row<{ id: string; sealedSecret: string }>(
      `SELECT id, sealed_secret AS "sealedSecret" FROM totp_enrolments WHERE user_id = $1 AND status = $2 ORDER BY created_at DESC LIMIT 1`,
      [userId, status],
      m,
    );
  }

  /** Makes `enrolmentId` the customer's one active authenticator; every other one is revoked. */
  async activate(m: EntityManager, userId: string, enrolmentId: string): Promise<void> {
    await m.query(
      `UPDATE totp_enrolments SET status = 'revoked', revoked_at = now() WHERE user_id = $1 AND status IN ('active', 'pending') AND id <> $2`,
      [userId, enrolmentId],
    );
    await m.query(`UPDATE totp_enrolments SET status = 'active', activated_at = now() WHERE id = $1`, [enrolmentId]);
  }

  /** Mass revocation: every enrolment, active or pending; returns how many. */
  async revokeAll(m: EntityManager): Promise<number> {
    const rows = await this.updateReturning<{ id: string }>(
      m,
      `UPDATE totp_enrolments SET status = 'revoked', revoked_at = now() WHERE status IN ('active', 'pending') RETURNING id`,
      [],
    );
    return rows.length;
  }

  /**
   * The step consumed, as a change for a decision's own statement: for a step its caller found unused under
   * the customer's lock (lockForTotpDecision's usedSteps). No ON CONFLICT: were it used after all, the
   * statement fails and nothing is decided.
   */
  useStepChange(userId: string, step: number): RecordedChange {
    return { sql: 'INSERT INTO totp_used_steps (user_id, step) VALUES ($1, $2)', params: [userId, step] };
  }

  /** Consumes the time step for the customer; false when it was used already (a replayed code). */
  async useStep(m: EntityManager, userId: string, step: number): Promise<boolean> {
    const rows = await this.rows<{ step: string }>(
      'INSERT INTO totp_used_steps (user_id, step) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING step',
      [userId, step],
      m,
    );
    return rows.length > 0;
  }

  async recordFailure(m: EntityManager, userId: string, withdrawalId: string | null): Promise<void> {
    await m.query('INSERT INTO totp_failures (user_id, withdrawal_id) VALUES ($1, $2)', [userId, withdrawalId]);
  }

  /**
   * Up to `limit` of the customer's failures in the last `windowSeconds`, and when the oldest of those was:
   * totp_check_facts' count, the one window's definition (its enrolment columns, whatever the status named, are not read).
   */
  async recentFailures(m: EntityManager, userId: string, windowSeconds: number, limit: number): Promise<RecentFailures> {
    const [row] = await this.rows<Pick<TotpCheckFactsRow, 'failures' | 'oldest'>>(
      `SELECT failures, oldest FROM totp_check_facts($1, 'active', $2, $3)`,
      [userId, windowSeconds, limit],
      m,
    );
    return recentFailuresOf(row);
  }

  /** recentFailures and newestSealed in one statement (totp_check_facts): what a code's check reads before it opens the secret. */
  async beforeCheck(m: EntityManager, userId: string, status: TotpEnrolmentStatus, windowSeconds: number, limit: number): Promise<TotpCheckFacts> {
    const [row] = await this.rows<TotpCheckFactsRow>('SELECT * FROM totp_check_facts($1, $2, $3, $4)', [userId, status, windowSeconds, limit], m);
    return totpCheckFacts(row);
  }
}
