import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WithdrawalLocks } from '../withdrawals/withdrawal-locks';
import { WithdrawalSettlement } from '../withdrawals/withdrawal-settlement';

/** Ends unconfirmed withdrawals at their expiry: a delayed job per withdrawal, and a sweeper behind it. */
@Injectable()
export class ExpireWithdrawals {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly locks: WithdrawalLocks,
    private readonly settlement: WithdrawalSettlement,
  ) {}

  /** Expires the withdrawal if it is still open and due; returns whether it did. */
  expire(withdrawalId: string): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const w = await this.locks.lockWithdrawal(m, withdrawalId);
      if (!w || w.status !== 'pending_confirmation' || !this.settlement.isExpired(w)) return false;
      await this.settlement.finish(m, w, 'expired', 'confirmation_window_passed');
      return true;
    });
  }

  async sweep(limit = 200): Promise<number> {
    const due: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM withdrawals WHERE status = 'pending_confirmation' AND expires_at <= now() ORDER BY expires_at LIMIT $1`,
      [limit],
    );
    let expired = 0;
    for (const { id } of due) if (await this.expire(id)) expired++;
    return expired;
  }
}
