import { Transactions, WithdrawalRepository } from '@app/database';
import { Injectable } from '@nestjs/common';
import { WithdrawalLocks } from '../withdrawals/withdrawal-locks';
import { WithdrawalSettlement } from '../withdrawals/withdrawal-settlement';

/**
 * After a pause is lifted: every withdrawal confirmed while paused is evaluated again, and posts unless
 * something else (expiry, a freeze, a new pause) now stops it.
 */
@Injectable()
export class ResumeWithdrawals {
  constructor(
    private readonly transactions: Transactions,
    private readonly withdrawals: WithdrawalRepository,
    private readonly locks: WithdrawalLocks,
    private readonly settlement: WithdrawalSettlement,
  ) {}

  async execute(): Promise<{ evaluated: number; posted: number }> {
    const ids = await this.withdrawals.confirmedOpenIds();
    let posted = 0;
    for (const id of ids) {
      const status = await this.transactions.run(async (m) => {
        const w = await this.locks.lockWithdrawal(m, id);
        return w ? this.settlement.evaluate(m, w) : undefined;
      });
      if (status === 'posted') posted++;
    }
    return { evaluated: ids.length, posted };
  }
}
