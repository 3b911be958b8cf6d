import { Verdict } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WithdrawalLocks } from './withdrawal-locks';
import { WithdrawalSettlement } from './withdrawal-settlement';

/** The customer withdraws the request; its hold is released. */
@Injectable()
export class CancelWithdrawal {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly locks: WithdrawalLocks,
    private readonly settlement: WithdrawalSettlement,
  ) {}

  execute(input: { userId: string; withdrawalId: string }): Promise<Verdict> {
    return this.dataSource.transaction(async (m): Promise<Verdict> => {
      const w = await this.locks.lockWithdrawal(m, input.withdrawalId, input.userId);
      if (!w) return { ok: false, code: 'not_found' };
      if (w.status !== 'pending_confirmation' && w.status !== 'held') return { ok: false, code: 'withdrawal_not_pending' };
      await this.settlement.finish(m, w, 'cancelled', 'cancelled_by_customer');
      return { ok: true };
    });
  }
}
