import { AuditRepository, CustomerRepository } from '@app/database';
import { Factor } from '@app/domain';
import { jobId, Outbox, QueueName } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LockedWithdrawal } from '../withdrawals/withdrawal-locks';
import { WithdrawalSettlement } from '../withdrawals/withdrawal-settlement';

/**
 * "This wasn't me": the account's withdrawals freeze until an operator unfreezes them — those already in
 * flight end at once, their holds released — the event is audited (the API's /metrics counts it from
 * there) and the customer is told by email.
 */
@Injectable()
export class NotMeAlarm {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly settlement: WithdrawalSettlement,
    private readonly outbox: Outbox,
    private readonly audit: AuditRepository,
  ) {}

  async raise(m: EntityManager, w: LockedWithdrawal, factor: Factor): Promise<void> {
    await this.customers.freezeByCustomer(m, w.userId, `customer reported withdrawal ${w.id} as not theirs`);
    await this.settlement.finishOpenOf(m, w.userId, 'account_frozen', w.id);
    await this.audit.append(m, { event: 'withdrawal_reported_not_me', userId: w.userId, withdrawalId: w.id, detail: { factor } });
    const dedupeKey = `alert-not-me-${w.id}`;
    await this.outbox.add(m, [
      {
        queue: QueueName.Notifications,
        name: 'send-security-alert',
        jobId: jobId('alert-not-me', w.id),
        data: { userId: w.userId, alert: 'withdrawal_denied_not_me', withdrawalId: w.id, dedupeKey },
      },
    ]);
  }
}
