import { hashToken } from '@app/crypto';
import { AuditRepository, CustomerRepository, SecurityNoticeRepository, Transactions } from '@app/database';
import { problem, Verdict } from '@app/domain';
import { jobId, Outbox, QueueName } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { WithdrawalSettlement } from '../withdrawals/withdrawal-settlement';

/**
 * "This wasn't me", from a security notice: the account's withdrawals freeze until an operator unfreezes
 * them, those in flight end, the operators see it in the audit log, and the customer is told.
 */
@Injectable()
export class ReportSecurityChange {
  constructor(
    private readonly transactions: Transactions,
    private readonly notices: SecurityNoticeRepository,
    private readonly customers: CustomerRepository,
    private readonly settlement: WithdrawalSettlement,
    private readonly outbox: Outbox,
    private readonly audit: AuditRepository,
  ) {}

  execute(input: { token: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const notice = await this.notices.useLink(m, hashToken(input.token));
      if (!notice) return problem('token_invalid');
      await this.customers.lock(m, notice.userId);
      await this.customers.freezeByCustomer(m, notice.userId, `customer reported a ${notice.change} change as not theirs`);
      await this.settlement.finishOpenOf(m, notice.userId, 'account_frozen');
      await this.audit.append(m, {
        event: 'security_change_reported',
        userId: notice.userId,
        detail: { change: notice.change, noticeId: notice.noticeId },
      });
      await this.outbox.add(m, [
        {
          queue: QueueName.Notifications,
          name: 'send-security-alert',
          jobId: jobId('alert-change-reported', notice.noticeId),
          data: { userId: notice.userId, alert: 'security_change_reported', dedupeKey: `alert-change-reported-${notice.noticeId}` },
        },
      ]);
      return { ok: true, status: 'frozen' };
    });
  }
}
