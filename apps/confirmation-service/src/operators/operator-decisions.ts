import { AuditRepository, CustomerRepository, TotpRepository, Transactions, WithdrawalRepository } from '@app/database';
import { isOpen, problem, Verdict } from '@app/domain';
import { OperatorEvidence } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { WithdrawalLocks } from '../withdrawals/withdrawal-locks';
import { WithdrawalSettlement } from '../withdrawals/withdrawal-settlement';
import { OperatorProofs } from './operator-proofs';

/** An operator's action as the API relays it: who, and the proof (their own token, opened from the job). */
type Action<T> = T & { operatorId: string } & OperatorEvidence;

/**
 * Operators' decisions, carried out here because only this service moves withdrawals, the ledger and
 * freezes — each after checking the operator's own single-use token. A release still needs all three
 * factors: an operator can stop money, never move it alone.
 */
@Injectable()
export class OperatorDecisions {
  constructor(
    private readonly transactions: Transactions,
    private readonly proofs: OperatorProofs,
    private readonly locks: WithdrawalLocks,
    private readonly settlement: WithdrawalSettlement,
    private readonly withdrawals: WithdrawalRepository,
    private readonly customers: CustomerRepository,
    private readonly totp: TotpRepository,
    private readonly audit: AuditRepository,
  ) {}

  reject(input: Action<{ withdrawalId: string; reason: string }>): Promise<Verdict> {
    return this.proven(input, 'reject-withdrawal', async (m) => {
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

  release(input: Action<{ withdrawalId: string }>): Promise<Verdict> {
    return this.proven(input, 'release-withdrawal', async (m) => {
      const w = await this.locks.lockWithdrawal(m, input.withdrawalId);
      if (!w) return problem('not_found');
      if (w.status !== 'held') return problem('withdrawal_not_pending', 'only a held withdrawal can be released');
      await this.withdrawals.release(m, w.id);
      await this.audit.append(m, { operatorId: input.operatorId, event: 'withdrawal_released_by_operator', userId: w.userId, withdrawalId: w.id });
      return { ok: true, status: await this.settlement.evaluate(m, { ...w, status: 'pending_confirmation' }) };
    });
  }

  freeze(input: Action<{ userId: string; reason: string }>): Promise<Verdict> {
    return this.setFrozen(input, input.reason);
  }

  unfreeze(input: Action<{ userId: string }>): Promise<Verdict> {
    return this.setFrozen(input, null);
  }

  /** Mass revocation: every enrolment revoked (customers must re-enrol), every open withdrawal voided. */
  async revokeAllTotp(input: Action<{ reason: string }>): Promise<Verdict> {
    const revoked = await this.proven(input, 'revoke-all-totp', async (m) => {
      const count = await this.totp.revokeAll(m);
      await this.audit.append(m, { operatorId: input.operatorId, event: 'totp_revoked_all', detail: { reason: input.reason, enrolments: count } });
      return { ok: true, status: String(count) };
    });
    if (!revoked.ok) return revoked;
    const open = await this.withdrawals.openIds();
    for (const id of open) {
      await this.transactions.run(async (m) => {
        const w = await this.locks.lockWithdrawal(m, id);
        if (w && isOpen(w.status)) await this.settlement.finish(m, w, 'denied', 'totp_revoked');
      });
    }
    return { ok: true, status: `revoked ${revoked.status} enrolments, voided ${open.length} withdrawals` };
  }

  private setFrozen(input: Action<{ userId: string }>, reason: string | null): Promise<Verdict> {
    return this.proven(input, reason ? 'freeze-account' : 'unfreeze-account', async (m) => {
      if (!(await this.customers.setFrozen(m, input.userId, reason))) return problem('not_found');
      await this.audit.append(m, {
        operatorId: input.operatorId,
        event: reason ? 'account_frozen' : 'account_unfrozen',
        userId: input.userId,
        detail: reason ? { reason } : {},
      });
      return { ok: true };
    });
  }

  /** Runs the action in one transaction with its proof: the token is used up by the action it proved. */
  private proven(input: Action<object>, action: string, work: (m: EntityManager) => Promise<Verdict>): Promise<Verdict> {
    return this.transactions.run(async (m) => (await this.proofs.accept(m, action, input.operatorId, input.operatorToken)) ?? work(m));
  }
}
