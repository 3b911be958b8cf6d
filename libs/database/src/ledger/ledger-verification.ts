import { DataSource } from 'typeorm';

export interface LedgerFault {
  check: string;
  rows: Record<string, unknown>[];
}

/**
 * Each check is a query that returns the rows at fault; an empty result is a pass. Balances are read from
 * ledger_account_balances: the stored rows, except the outbound account's, derived from its transfers.
 */
export const LEDGER_CHECKS: Record<string, string> = {
  'postings sum to zero per asset': `
    SELECT asset, sum(debits_posted - credits_posted)::text AS posted_imbalance,
           sum(debits_pending - credits_pending)::text AS pending_imbalance
      FROM ledger_account_balances GROUP BY asset
     HAVING sum(debits_posted - credits_posted) <> 0 OR sum(debits_pending - credits_pending) <> 0`,
  'account balances equal their transfers': `
    WITH effects AS (
      SELECT t.debit_account_id AS account_id,
             CASE WHEN t.kind IN ('posted', 'post_pending') THEN t.amount ELSE 0 END AS debits_posted,
             CASE t.kind WHEN 'pending' THEN t.amount WHEN 'posted' THEN 0 ELSE -t.amount END AS debits_pending,
             0::numeric AS credits_posted, 0::numeric AS credits_pending
        FROM ledger_transfers t
      UNION ALL
      SELECT t.credit_account_id, 0, 0,
             CASE WHEN t.kind IN ('posted', 'post_pending') THEN t.amount ELSE 0 END,
             CASE t.kind WHEN 'pending' THEN t.amount WHEN 'posted' THEN 0 ELSE -t.amount END
        FROM ledger_transfers t
    ), sums AS (
      SELECT account_id, sum(debits_posted) dp, sum(debits_pending) dq, sum(credits_posted) cp, sum(credits_pending) cq
        FROM effects GROUP BY account_id
    )
    SELECT a.id AS account_id, a.kind, a.user_id, a.asset
      FROM ledger_account_balances a LEFT JOIN sums s ON s.account_id = a.id
     WHERE a.debits_posted <> coalesce(s.dp, 0) OR a.debits_pending <> coalesce(s.dq, 0)
        OR a.credits_posted <> coalesce(s.cp, 0) OR a.credits_pending <> coalesce(s.cq, 0)`,
  'holds equal the open pending transfers': `
    WITH open_holds AS (
      SELECT h.debit_account_id AS account_id, sum(h.amount) AS held
        FROM ledger_transfers h
       WHERE h.kind = 'pending' AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = h.id)
       GROUP BY h.debit_account_id
    )
    SELECT a.id AS account_id, a.user_id, a.asset, a.debits_pending::text AS held, coalesce(o.held, 0)::text AS open_holds
      FROM ledger_accounts a LEFT JOIN open_holds o ON o.account_id = a.id
     WHERE a.kind = 'customer' AND a.debits_pending <> coalesce(o.held, 0)`,
  'no customer account overdrawn': `
    SELECT id AS account_id, user_id, asset FROM ledger_accounts
     WHERE kind = 'customer' AND debits_pending + debits_posted > credits_posted`,
  'every posted withdrawal has its three confirmations': `
    SELECT w.id AS withdrawal_id, w.status, count(f.*) FILTER (WHERE f.status = 'approved' AND f.digest = w.digest) AS approvals
      FROM withdrawals w JOIN ledger_transfers t ON t.withdrawal_id = w.id AND t.kind = 'post_pending'
      JOIN withdrawal_factors f ON f.withdrawal_id = w.id
     GROUP BY w.id, w.status
    HAVING count(f.*) FILTER (WHERE f.status = 'approved' AND f.digest = w.digest AND f.decided_at <= w.expires_at) <> 3`,
  'no withdrawal posted twice': `
    SELECT withdrawal_id, count(*) AS postings FROM ledger_transfers
     WHERE kind = 'post_pending' GROUP BY withdrawal_id HAVING count(*) > 1`,
  'withdrawal status agrees with the ledger': `
    SELECT w.id AS withdrawal_id, w.status, r.kind AS resolution
      FROM withdrawals w
      LEFT JOIN ledger_transfers h ON h.withdrawal_id = w.id AND h.kind = 'pending'
      LEFT JOIN ledger_transfers r ON r.pending_id = h.id
     WHERE (w.status = 'posted') <> (r.kind IS NOT DISTINCT FROM 'post_pending')
        OR (w.status IN ('pending_confirmation', 'held') AND (h.id IS NULL OR r.id IS NOT NULL))
        OR (w.status IN ('denied', 'expired', 'cancelled', 'rejected') AND h.id IS NOT NULL AND r.kind IS DISTINCT FROM 'void_pending')`,
};

export async function verifyLedger(dataSource: DataSource): Promise<LedgerFault[]> {
  const faults: LedgerFault[] = [];
  for (const [check, sql] of Object.entries(LEDGER_CHECKS)) {
    const rows = await dataSource.query<Record<string, unknown>[]>(sql);
    if (rows.length) faults.push({ check, rows });
  }
  return faults;
}
