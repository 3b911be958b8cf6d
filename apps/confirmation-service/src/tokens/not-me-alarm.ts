import { appendAudit } from '@app/database';
import { Factor, QueueName, writeOutbox } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LockedWithdrawal, WithdrawalLocks } from '../withdrawals/withdrawal-locks';
import { ACTOR, WithdrawalSettlement } from '../withdrawals/withdrawal-settlement';

/**
 * "This wasn't me": the account's withdrawals freeze until an operator unfreezes them — those already in
 * flight end at once, their holds released — the event is audited (the API's /metrics counts it from
 * there) and the customer is told by email.
 */
@Injectable()
export class NotMeAlarm {
  constructor(
    private readonly locks: WithdrawalLocks,
    private readonly settlement: WithdrawalSettlement,
  ) {}

  async raise(m: EntityManager, w: LockedWithdrawal, factor: Factor): Promise<void> {
    await m.query(
      `UPDATE users SET withdrawals_frozen_at = coalesce(withdrawals_frozen_at, now()), frozen_reason = $2 WHERE id = $1`,
      [w.user_id, `customer reported withdrawal ${w.id} as not theirs`],
    );
    const others: { id: string }[] = await m.query(
      `SELECT id FROM withdrawals WHERE user_id = $1 AND id <> $2 AND status IN ('pending_confirmation', 'held') ORDER BY id`,
      [w.user_id, w.id],
    );
    for (const { id } of others) {
      const other = await this.locks.lockWithdrawal(m, id);
      if (other) await this.settlement.finish(m, other, 'denied', 'account_frozen');
    }
    await appendAudit(m, { actor: ACTOR, event: 'withdrawal_reported_not_me', userId: w.user_id, withdrawalId: w.id, detail: { factor } });
    await writeOutbox(m, [
      {
        queue: QueueName.Notifications,
        name: 'send-security-alert',
        jobId: `alert-not-me-${w.id}`,
        data: { userId: w.user_id, alert: 'withdrawal_denied_not_me', withdrawalId: w.id, dedupeKey: `alert-not-me-${w.id}` },
      },
    ]);
  }
}
