import { Transactions, WithdrawalRepository } from '@app/database';
import { Injectable } from '@nestjs/common';
import { WithdrawalLocks } from '../withdrawals/withdrawal-locks';
import { WithdrawalSettlement } from '../withdrawals/withdrawal-settlement';

/** Ends unconfirmed withdrawals at their expiry: a delayed job per withdrawal, and a sweeper behind it. */
@Injectable()
export class ExpireWithdrawals {
  constructor(
    private readonly transactions: Transactions,
    private readonly withdrawals: WithdrawalRepository,
    private readonly locks: WithdrawalLocks,
    private readonly settlement: WithdrawalSettlement,
  ) {}

  /** Expires the withdrawal if it is still open and due; returns whether it did. */
  expire(withdrawalId: string): Promise<boolean> {
    return this.transactions.run(async (m) => {
      const w = await this.locks.lockWithdrawal(m, withdrawalId);
      if (!w || w.status !== 'pending_confirmation' || !this.settlement.isExpired(w)) return false;
      await this.settlement.finish(m, w, 'expired', 'confirmation_window_passed');
      return true;
    });
  }

  async sweep(limit = 200): Promise<number> {
    let expired = 0;
    for (const id of await this.withdrawals.dueForExpiry(limit)) if (await this.expire(id)) expired++;
    return expired;
  }
}
