import { AuditRepository, NoticeRecipient, PushSubscriptionRepository, SecurityChange, SecurityNoticeRepository } from '@app/database';
import { jobId, Outbox, QueueName } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { WithdrawalSettlement } from '../withdrawals/withdrawal-settlement';
import { SteppedUp } from './step-up';

/**
 * What every factor or address change brings (shared/API.md, "Customer: security setup"): the customer's
 * open withdrawals end, their holds released; the change is announced to the verified (old) email address
 * and pushed to the customer's other devices, each message with its own "this wasn't me" link; and it is
 * audited. The lock itself is set by Postgres, by trigger on the change.
 */
@Injectable()
export class SecurityChanges {
  constructor(
    private readonly devices: PushSubscriptionRepository,
    private readonly notices: SecurityNoticeRepository,
    private readonly settlement: WithdrawalSettlement,
    private readonly outbox: Outbox,
    private readonly audit: AuditRepository,
  ) {}

  /**
   * Call in the change's transaction, with the customer as it was before the change (its email, its
   * devices); `exceptDevice` is a device the change itself added.
   */
  async announce(m: EntityManager, userId: string, change: SecurityChange, before: SteppedUp, exceptDevice?: string): Promise<void> {
    await this.settlement.finishOpenOf(m, userId, 'security_change');
    const recipients: NoticeRecipient[] = [
      ...(before.email && before.emailVerified ? [{ channel: 'email' as const, email: before.email }] : []),
      ...(await this.devices.liveIds(m, userId))
        .filter((id) => id !== exceptDevice)
        .map((subscriptionId) => ({ channel: 'push' as const, subscriptionId })),
    ];
    const notice = await this.notices.create(m, userId, change, recipients);
    await this.outbox.add(
      m,
      notice.deliveries.map(({ id, channel }) =>
        // Pushes travel apart from emails: a push service that hangs never holds up an email.
        channel === 'email'
          ? { queue: QueueName.Notifications, name: 'send-notice-email' as const, jobId: jobId('notice-email', id), data: { deliveryId: id } }
          : { queue: QueueName.Pushes, name: 'send-notice-push' as const, jobId: jobId('notice-push', id), data: { deliveryId: id } },
      ),
    );
    await this.audit.append(m, { event: 'security_change', userId, detail: { change, noticeId: notice.noticeId, announcedTo: recipients.length } });
  }
}
