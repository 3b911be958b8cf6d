import { Transactions } from '@app/database';
import { isOpen, problem, Verdict } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { WithdrawalLocks } from './withdrawal-locks';
import { WithdrawalSettlement } from './withdrawal-settlement';

/** The customer withdraws the request; its hold is released. */
@Injectable()
export class CancelWithdrawal {
  constructor(
    private readonly transactions: Transactions,
    private readonly locks: WithdrawalLocks,
    private readonly settlement: WithdrawalSettlement,
  ) {}

  execute(input: { userId: string; withdrawalId: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const w = await this.locks.lockWithdrawal(m, input.withdrawalId, input.userId);
      if (!w) return problem('not_found');
      if (!isOpen(w.status)) return problem('withdrawal_not_pending');
      await this.settlement.finish(m, w, 'cancelled', 'cancelled_by_customer');
      return { ok: true };
    });
  }
}
