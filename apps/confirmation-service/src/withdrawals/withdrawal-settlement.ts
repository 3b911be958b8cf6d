import { appendAudit, updateReturning } from '@app/database';
import { formatAmount, LedgerRepository } from '@app/ledger';
import { Factor, QueueName, writeOutbox } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LockedWithdrawal, WithdrawalLocks } from './withdrawal-locks';

export type FinalStatus = 'denied' | 'expired' | 'cancelled' | 'rejected';

export const ACTOR = 'confirmation-service';

/**
 * The confirmation rules: a withdrawal is posted when its three factors are approved for its current
 * digest, and ends — its hold released — on any denial, expiry or cancellation. Called with the
 * withdrawal locked, inside the transaction that changed a factor.
 */
@Injectable()
export class WithdrawalSettlement {
  constructor(
    private readonly ledger: LedgerRepository,
    private readonly locks: WithdrawalLocks,
  ) {}

  isExpired(w: LockedWithdrawal, now = new Date()): boolean {
    return w.expires_at.getTime() <= now.getTime();
  }

  async setFactor(
    m: EntityManager,
    w: LockedWithdrawal,
    factor: Factor,
    status: 'approved' | 'denied' | 'locked',
    evidence: string,
    digest: Buffer | null = null,
  ): Promise<void> {
    await m.query(
      `UPDATE withdrawal_factors SET status = $3, digest = $4, decided_at = now(), evidence = $5
        WHERE withdrawal_id = $1 AND factor = $2`,
      [w.id, factor, status, digest, evidence],
    );
    await appendAudit(m, { actor: ACTOR, event: `factor_${status}`, userId: w.user_id, withdrawalId: w.id, detail: { factor } });
  }

  /** Posts when all three approvals match the current digest; ends the withdrawal on a denial or a changed detail. */
  async evaluate(m: EntityManager, w: LockedWithdrawal): Promise<string> {
    const factors = Object.values(await this.locks.lockFactors(m, w.id));
    if (factors.some((f) => f.status === 'denied' || f.status === 'locked')) {
      await this.finish(m, w, 'denied', factors.find((f) => f.status === 'locked') ? 'totp_locked' : 'denied_by_customer');
      return 'denied';
    }
    // A held withdrawal waits for an operator's release even with three approvals.
    if (!factors.every((f) => f.status === 'approved') || w.status === 'held') return w.status;
    if (!factors.every((f) => f.digest !== null && f.digest.equals(w.digest))) {
      // An approval given for other details is void: the withdrawal as it stands was never confirmed.
      await this.finish(m, w, 'denied', 'details_changed');
      return 'denied';
    }
    // A frozen account ("this wasn't me", or an operator) posts nothing, not even what was already in flight.
    // The customer row is locked (WithdrawalLocks.lockWithdrawal), so a concurrent freeze cannot slip past.
    const [owner] = await m.query('SELECT withdrawals_frozen_at FROM users WHERE id = $1', [w.user_id]);
    if (owner?.withdrawals_frozen_at) {
      await this.finish(m, w, 'denied', 'account_frozen');
      return 'denied';
    }
    await this.ledger.post(m, w.id);
    const [{ posted_at }] = await updateReturning(
      m,
      `UPDATE withdrawals SET status = 'posted', posted_at = now(), decided_at = now() WHERE id = $1 RETURNING posted_at`,
      [w.id],
    );
    await appendAudit(m, { actor: ACTOR, event: 'withdrawal_posted', userId: w.user_id, withdrawalId: w.id });
    await writeOutbox(m, [
      {
        queue: QueueName.WithdrawalsPosted,
        name: 'withdrawal-posted',
        jobId: w.id,
        data: {
          withdrawalId: w.id,
          userId: w.user_id,
          asset: w.asset,
          network: w.network,
          amount: formatAmount(w.amount),
          address: w.address,
          postedAt: (posted_at as Date).toISOString(),
        },
      },
      { queue: QueueName.Notifications, name: 'send-outcome-email', jobId: `outcome-${w.id}`, data: { withdrawalId: w.id } },
    ]);
    return 'posted';
  }

  /** Ends an open withdrawal and releases its hold; the customer hears by email unless they cancelled it. */
  async finish(m: EntityManager, w: LockedWithdrawal, status: FinalStatus, reason: string): Promise<void> {
    await m.query(`UPDATE withdrawals SET status = $2, reason = $3, decided_at = now() WHERE id = $1`, [w.id, status, reason]);
    if (status === 'expired') {
      await m.query(`UPDATE withdrawal_factors SET status = 'expired' WHERE withdrawal_id = $1 AND status = 'pending'`, [w.id]);
    }
    await this.ledger.void(m, w.id);
    await appendAudit(m, { actor: ACTOR, event: `withdrawal_${status}`, userId: w.user_id, withdrawalId: w.id, detail: { reason } });
    if (status !== 'cancelled') {
      await writeOutbox(m, [
        { queue: QueueName.Notifications, name: 'send-outcome-email', jobId: `outcome-${w.id}`, data: { withdrawalId: w.id } },
      ]);
    }
    w.status = status;
  }
}
