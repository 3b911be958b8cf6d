import { AuditRepository, TotpRepository, Transactions, WithdrawalRepository } from '@app/database';
import { isOpen, problem, Verdict } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { WithdrawalLocks } from './withdrawal-locks';
import { WithdrawalSettlement } from './withdrawal-settlement';

/**
 * Operators' decisions, carried out here because only this service moves withdrawals and the ledger.
 * A release still needs all three factors: an operator can stop money, never move it alone.
 */
@Injectable()
export class OperatorDecisions {
  constructor(
    private readonly transactions: Transactions,
    private readonly locks: WithdrawalLocks,
    private readonly settlement: WithdrawalSettlement,
    private readonly withdrawals: WithdrawalRepository,
    private readonly totp: TotpRepository,
    private readonly audit: AuditRepository,
  ) {}

  reject(input: { operatorId: string; withdrawalId: string; reason: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const w = await this.locks.lockWithdrawal(m, input.withdrawalId);
      if (!w) return problem('not_found');
      if (!isOpen(w.status)) return problem('withdrawal_not_pending');
      await this.settlement.finish(m, w, 'rejected', input.reason);
      await this.audit.append(m, {
        operatorId: input.operatorId,
        event: 'withdrawal_rejected_by_operator',
        userId: w.userId,
        withdrawalId: w.id,
        detail: { reason: input.reason },
      });
      return { ok: true, status: 'rejected' };
    });
  }

  release(input: { operatorId: string; withdrawalId: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const w = await this.locks.lockWithdrawal(m, input.withdrawalId);
      if (!w) return problem('not_found');
      if (w.status !== 'held') return problem('withdrawal_not_pending', 'only a held withdrawal can be released');
      await this.withdrawals.release(m, w.id);
      await this.audit.append(m, { operatorId: input.operatorId, event: 'withdrawal_released_by_operator', userId: w.userId, withdrawalId: w.id });
      return { ok: true, status: await this.settlement.evaluate(m, { ...w, status: 'pending_confirmation' }) };
    });
  }

  /** Mass revocation: every enrolment revoked (customers must re-enrol), every open withdrawal voided. */
  async revokeAllTotp(input: { operatorId: string; reason: string }): Promise<Verdict> {
    const revoked = await this.transactions.run(async (m) => {
      const count = await this.totp.revokeAll(m);
      await this.audit.append(m, { operatorId: input.operatorId, event: 'totp_revoked_all', detail: { reason: input.reason, enrolments: count } });
      return count;
    });
    const open = await this.withdrawals.openIds();
    for (const id of open) {
      await this.transactions.run(async (m) => {
        const w = await this.locks.lockWithdrawal(m, id);
        if (w && isOpen(w.status)) await this.settlement.finish(m, w, 'denied', 'totp_revoked');
      });
    }
    return { ok: true, status: `revoked ${revoked} enrolments, voided ${open.length} withdrawals` };
  }
}
