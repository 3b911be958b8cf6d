import { APP_CONFIG, AppConfig } from '@app/config';
import {
  AntiPhishingCodeRepository,
  AuditRepository,
  NoticeDelivery,
  PushDevice,
  PushSubscriptionRepository,
  SecurityNoticeRepository,
} from '@app/database';
import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { deliveryLeaseSeconds, DeliveryOutcome, LeasedDelivery } from '../deliveries/leased-delivery';
import { SentMarks } from '../deliveries/sent-marks';
import { noticeMail } from '../mail/mail-templates';
import { Mailer } from '../mail/mailer';
import { DevicePush } from '../push/device-push';
import { PushServiceSlots } from '../push/push-service-slots';

/** A notice is worth delivering for a day: a device offline longer learns of the change from the other messages. */
const NOTICE_TTL_SECONDS = 24 * 3600;

/**
 * One message of a security notice: to the old email address, or pushed to one of the other devices, each
 * with its own "this wasn't me" link (`/security-notice/<token>`), sent once (LeasedDelivery).
 */
@Injectable()
export class SendSecurityNotice {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly delivery: LeasedDelivery,
    private readonly notices: SecurityNoticeRepository,
    private readonly devices: PushSubscriptionRepository,
    private readonly mailer: Mailer,
    private readonly push: DevicePush,
    private readonly audit: AuditRepository,
    private readonly antiPhishingCodes: AntiPhishingCodeRepository,
    private readonly slots: PushServiceSlots,
    private readonly marks: SentMarks,
  ) {}

  async execute(deliveryId: string): Promise<DeliveryOutcome | 'device_retired'> {
    const notice = await this.notices.delivery(deliveryId);
    if (!notice) throw new UnrecoverableError('no such notice delivery');
    const device = notice.subscriptionId ? await this.devices.find(notice.subscriptionId) : undefined;
    // A device its push service says is gone gets nothing; one the change itself removed still hears of it.
    if (notice.channel === 'push' && (!device || device.retiredReason === 'gone')) return 'device_retired';
    // A push takes a slot of its service before the notice is claimed: a busy service leaves nothing to release.
    return notice.channel === 'push' ? this.slots.run(device!.endpoint, () => this.deliver(notice, device)) : this.deliver(notice, device);
  }

  private deliver(notice: NoticeDelivery, device: PushDevice | undefined): Promise<DeliveryOutcome> {
    return this.delivery.send(
      {
        take: async (tokenHash) => {
          const delivery = await this.notices.take(notice.id, tokenHash, deliveryLeaseSeconds(notice.channel, this.config.delivery));
          return delivery && { context: notice, delivery };
        },
        releaseClaim: (id) => this.notices.releaseClaim(id),
        sent: (id) =>
          this.marks.record([
            this.notices.sentChange(id),
            this.audit.entryChange({
              event: 'security_notice_sent',
              userId: notice.userId,
              detail: { change: notice.change, channel: notice.channel },
            }),
          ]),
      },
      async (n, token) => {
        const url = `${this.config.publicBaseUrl}/security-notice/${token}`;
        const code = await this.antiPhishingCodes.find(n.userId);
        if (n.channel === 'email') {
          await this.mailer.send(noticeMail(n.email!, n.change, n.createdAt, url, null, code));
          return true;
        }
        const payload = {
          type: 'security-notice',
          change: n.change,
          at: n.createdAt.toISOString(),
          url,
          ...(code ? { antiPhishingCode: code } : {}),
        };
        return this.push.send(device!, payload, NOTICE_TTL_SECONDS);
      },
    );
  }
}
