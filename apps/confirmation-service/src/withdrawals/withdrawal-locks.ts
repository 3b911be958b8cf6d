import { Factor } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface LockedWithdrawal {
  id: string;
  user_id: string;
  asset: string;
  network: string;
  address: string;
  amount: string;
  fee: string;
  digest: Buffer;
  status: string;
  match_code: string;
  expires_at: Date;
}

export interface FactorRow {
  factor: Factor;
  status: string;
  digest: Buffer | null;
  failures: number;
  wrong_match_picks: number;
}

/**
 * Row locks in one fixed order — customer, then withdrawal, then its factors and challenges — so that
 * concurrent verdicts on one customer serialise and never deadlock. Counters read under these locks
 * cannot be raced past.
 */
@Injectable()
export class WithdrawalLocks {
  async lockUser(m: EntityManager, userId: string): Promise<{ frozen: boolean } | undefined> {
    const [row] = await m.query('SELECT withdrawals_frozen_at FROM users WHERE id = $1 FOR UPDATE', [userId]);
    return row ? { frozen: row.withdrawals_frozen_at !== null } : undefined;
  }

  /** Locks the customer and then the withdrawal; with `userId`, another customer's withdrawal is not found. */
  async lockWithdrawal(m: EntityManager, withdrawalId: string, userId?: string): Promise<LockedWithdrawal | undefined> {
    const [owner] = await m.query('SELECT user_id FROM withdrawals WHERE id = $1', [withdrawalId]);
    if (!owner || (userId !== undefined && owner.user_id !== userId)) return undefined;
    await this.lockUser(m, owner.user_id);
    const [row] = await m.query(
      `SELECT id, user_id, asset, network, address, amount::text, fee::text, digest, status, match_code, expires_at
         FROM withdrawals WHERE id = $1 FOR UPDATE`,
      [withdrawalId],
    );
    return row;
  }

  async lockFactors(m: EntityManager, withdrawalId: string): Promise<Record<Factor, FactorRow>> {
    const rows: FactorRow[] = await m.query(
      `SELECT factor, status, digest, failures, wrong_match_picks FROM withdrawal_factors
        WHERE withdrawal_id = $1 ORDER BY factor FOR UPDATE`,
      [withdrawalId],
    );
    return Object.fromEntries(rows.map((r) => [r.factor, r])) as Record<Factor, FactorRow>;
  }
}
