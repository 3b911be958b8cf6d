import { appendAudit, updateReturning } from '@app/database';
import { Verdict } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WithdrawalLocks } from './withdrawal-locks';
import { WithdrawalSettlement } from './withdrawal-settlement';

/**
 * Operators' decisions, carried out here because only this service moves withdrawals and the ledger.
 * A release still needs all three factors: an operator can stop money, never move it alone.
 */
@Injectable()
export class OperatorDecisions {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly locks: WithdrawalLocks,
    private readonly settlement: WithdrawalSettlement,
  ) {}

  reject(input: { operatorId: string; withdrawalId: string; reason: string }): Promise<Verdict> {
    return this.dataSource.transaction(async (m): Promise<Verdict> => {
      const w = await this.locks.lockWithdrawal(m, input.withdrawalId);
      if (!w) return { ok: false, code: 'not_found' };
      if (w.status !== 'held' && w.status !== 'pending_confirmation') return { ok: false, code: 'withdrawal_not_pending' };
      await this.settlement.finish(m, w, 'rejected', input.reason);
      await appendAudit(m, { actor: `operator:${input.operatorId}`, event: 'withdrawal_rejected_by_operator', userId: w.user_id, withdrawalId: w.id, detail: { reason: input.reason } });
      return { ok: true, status: 'rejected' };
    });
  }

  release(input: { operatorId: string; withdrawalId: string }): Promise<Verdict> {
    return this.dataSource.transaction(async (m): Promise<Verdict> => {
      const w = await this.locks.lockWithdrawal(m, input.withdrawalId);
      if (!w) return { ok: false, code: 'not_found' };
      if (w.status !== 'held') return { ok: false, code: 'withdrawal_not_pending', detail: 'only a held withdrawal can be released' };
      await m.query(`UPDATE withdrawals SET status = 'pending_confirmation' WHERE id = $1`, [w.id]);
      w.status = 'pending_confirmation';
      await appendAudit(m, { actor: `operator:${input.operatorId}`, event: 'withdrawal_released_by_operator', userId: w.user_id, withdrawalId: w.id });
      if (this.settlement.isExpired(w)) {
        await this.settlement.finish(m, w, 'expired', 'confirmation_window_passed');
        return { ok: true, status: 'expired' };
      }
      return { ok: true, status: await this.settlement.evaluate(m, w) };
    });
  }

  /** Mass revocation: every enrolment revoked (customers must re-enrol), every open withdrawal voided. */
  async revokeAllTotp(input: { operatorId: string; reason: string }): Promise<Verdict> {
    const revoked = await this.dataSource.transaction(async (m) => {
      const rows = await updateReturning(
        m,
        `UPDATE totp_enrolments SET status = 'revoked', revoked_at = now() WHERE status IN ('active', 'pending') RETURNING id`,
        [],
      );
      await appendAudit(m, { actor: `operator:${input.operatorId}`, event: 'totp_revoked_all', detail: { reason: input.reason, enrolments: rows.length } });
      return rows.length;
    });
    const open: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM withdrawals WHERE status IN ('pending_confirmation', 'held') ORDER BY created_at`,
    );
    for (const { id } of open) {
      await this.dataSource.transaction(async (m) => {
        const w = await this.locks.lockWithdrawal(m, id);
        if (w && (w.status === 'pending_confirmation' || w.status === 'held')) await this.settlement.finish(m, w, 'denied', 'totp_revoked');
      });
    }
    return { ok: true, status: `revoked ${revoked} enrolments, voided ${open.length} withdrawals` };
  }
}
