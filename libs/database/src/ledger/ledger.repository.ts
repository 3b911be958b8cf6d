import { formatAmount } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { PG, refusedBy } from '../postgres-error';
import { Repository } from '../repository';

export interface Balance {
  asset: string;
  available: string;
  held: string;
}

export interface DepositResult {
  transferId: string;
  created: boolean;
}

/**
 * The ledger's writes and reads, each inside the caller's transaction. The rules themselves (no
 * overdraft, one resolution per hold, three of three) are enforced by Postgres, see the ledger
 * migration; this class only says what to do.
 */
@Injectable()
export class LedgerRepository extends Repository {
  /** Credits an operator's deposit once per reference. */
  async creditDeposit(m: EntityManager, d: { userId: string; asset: string; amount: string; reference: string }): Promise<DepositResult> {
    const [row] = await this.rows<{ transfer_id: string; created: boolean }>(
      'SELECT transfer_id, created FROM ledger_credit_deposit($1, $2, $3, $4)',
      [d.userId, d.asset, d.amount, d.reference],
      m,
    );
    return { transferId: row.transfer_id, created: row.created };
  }

  /** Whether Postgres refused a deposit because its reference was used for another one. */
  isDepositReferenceConflict(error: unknown): boolean {
    return refusedBy(error, PG.uniqueViolation, 'ledger_deposit_reference_conflict');
  }

  /**
   * Posts the withdrawal's hold. Postgres refuses unless three approvals match its current digest. Returns
   * the id of the posting transfer (the wallet's reference) and the transaction's time, `now()`, which every
   * statement of the transaction sees: the `posted_at` that markPosted then writes.
   */
  async post(m: EntityManager, withdrawalId: string): Promise<{ transferId: string; at: Date }> {
    const row = await this.row<{ id: string; at: Date }>(
      `INSERT INTO ledger_transfers (kind, pending_id)
         SELECT 'post_pending', id FROM ledger_transfers WHERE withdrawal_id = $1 AND kind = 'pending'
       RETURNING id::text, now() AS at`,
      [withdrawalId],
      m,
    );
    if (!row) throw new Error(`withdrawal ${withdrawalId} has no hold to post`);
    return { transferId: row.id, at: row.at };
  }

  /** Releases the withdrawal's hold if it is still open; returns whether it did. */
  async void(m: EntityManager, withdrawalId: string): Promise<boolean> {
    const rows = await this.rows<{ id: string }>(
      `INSERT INTO ledger_transfers (kind, pending_id)
         SELECT 'void_pending', h.id FROM ledger_transfers h
          WHERE h.withdrawal_id = $1 AND h.kind = 'pending'
            AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = h.id)
       RETURNING id`,
      [withdrawalId],
      m,
    );
    return rows.length > 0;
  }

  async balances(userId: string, m?: EntityManager): Promise<Balance[]> {
    const rows = await this.rows<Balance>(
      `SELECT asset, (credits_posted - debits_posted - debits_pending)::text AS available, debits_pending::text AS held
         FROM ledger_accounts WHERE kind = 'customer' AND user_id = $1 ORDER BY asset`,
      [userId],
      m,
    );
    return rows.map((r) => ({ asset: r.asset, available: formatAmount(r.available), held: formatAmount(r.held) }));
  }
}
