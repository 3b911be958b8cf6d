import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Repository } from '../repository';
import { CustomerEntity } from './customer.entity';

export type Customer = Pick<CustomerEntity, 'id' | 'email' | 'emailVerifiedAt' | 'withdrawalsFrozenAt' | 'withdrawalsLockedUntil'>;

const CUSTOMER_COLUMNS = `id, email, email_verified_at AS "emailVerifiedAt", withdrawals_frozen_at AS "withdrawalsFrozenAt",
  withdrawals_locked_until AS "withdrawalsLockedUntil"`;

/** The `users` table: customers, their email address, and their withdrawal lock and freeze. */
@Injectable()
export class CustomerRepository extends Repository {
  /** The customer, made on first sight (customers are the exchange's), in one round trip. */
  async ensure(id: string, m?: EntityManager): Promise<Customer> {
    const [row] = await this.rows<Customer>(
      `WITH made AS (INSERT INTO users (id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING ${CUSTOMER_COLUMNS})
       SELECT * FROM made UNION ALL SELECT ${CUSTOMER_COLUMNS} FROM users WHERE id = $1 LIMIT 1`,
      [id],
      m,
    );
    return row;
  }

  async find(id: string, m?: EntityManager): Promise<Customer | undefined> {
    return this.row<Customer>(`SELECT ${CUSTOMER_COLUMNS} FROM users WHERE id = $1`, [id], m);
  }

  /**
   * Locks the customer's row: the first lock of every decision about the customer, so that concurrent
   * verdicts for one customer take turns (customer, then withdrawal, then factors: never a deadlock).
   */
  async lock(m: EntityManager, id: string): Promise<Customer | undefined> {
    return this.row<Customer>(`SELECT ${CUSTOMER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [id], m);
  }

  /**
   * Locks the owner of a withdrawal, as `lock` does, found and locked in one round trip; with `ownerId`,
   * only if it is that customer (another customer's row is never locked).
   */
  async lockOwnerOfWithdrawal(m: EntityManager, withdrawalId: string, ownerId?: string): Promise<Customer | undefined> {
    return this.row<Customer>(
      `SELECT ${CUSTOMER_COLUMNS} FROM users
        WHERE id = (SELECT user_id FROM withdrawals WHERE id = $1) AND ($2::text IS NULL OR id = $2) FOR UPDATE`,
      [withdrawalId, ownerId ?? null],
      m,
    );
  }

  async setVerifiedEmail(m: EntityManager, id: string, email: string): Promise<void> {
    await m.query('UPDATE users SET email = $2, email_verified_at = now() WHERE id = $1', [id, email]);
  }

  /** The customer's own "this wasn't me": frozen until an operator unfreezes (a first freeze keeps its time). */
  async freezeByCustomer(m: EntityManager, id: string, reason: string): Promise<void> {
    await m.query('UPDATE users SET withdrawals_frozen_at = coalesce(withdrawals_frozen_at, now()), frozen_reason = $2 WHERE id = $1', [id, reason]);
  }

  /** Freezes (keeping the first freeze time) or, with `reason` null, unfreezes; false when there is no such customer. */
  async setFrozen(m: EntityManager, id: string, reason: string | null): Promise<boolean> {
    const rows = await this.updateReturning<{ id: string }>(
      m,
      `UPDATE users SET withdrawals_frozen_at = CASE WHEN $2::text IS NULL THEN NULL ELSE coalesce(withdrawals_frozen_at, now()) END,
                        frozen_reason = $2 WHERE id = $1 RETURNING id`,
      [id, reason],
    );
    return rows.length > 0;
  }
}
