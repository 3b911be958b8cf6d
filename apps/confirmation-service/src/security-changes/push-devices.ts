import { AuditRepository, PushSubscriptionRepository, Transactions } from '@app/database';
import { problem, Verdict } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { SecurityChanges } from './security-changes';
import { isRefusal, StepUp } from './step-up';

/** The customer's push devices: adding or removing one needs a TOTP code once TOTP is active, and is announced. */
@Injectable()
export class PushDevices {
  constructor(
    private readonly transactions: Transactions,
    private readonly stepUp: StepUp,
    private readonly devices: PushSubscriptionRepository,
    private readonly changes: SecurityChanges,
    private readonly audit: AuditRepository,
  ) {}

  /** Registers the device (the same endpoint again answers the id it has, using no code). */
  add(input: { userId: string; endpoint: string; p256dh: string; auth: string; totpCode?: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const existing = await this.devices.findLiveByEndpoint(m, input.userId, input.endpoint);
      if (existing) return { ok: true, id: existing, created: false };
      const before = await this.stepUp.require(m, input.userId, input.totpCode);
      if (isRefusal(before)) return before;
      const id = await this.devices.insert(m, input.userId, { endpoint: input.endpoint, p256dh: input.p256dh, auth: input.auth });
      await this.audit.append(m, { event: 'push_device_added', userId: input.userId, detail: { subscriptionId: id } });
      await this.changes.announce(m, input.userId, 'push-device', before, id);
      return { ok: true, id, created: true };
    });
  }

  /** Removes a device; the removed device hears of it too (it may be the real customer's). */
  remove(input: { userId: string; subscriptionId: string; totpCode?: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const before = await this.stepUp.require(m, input.userId, input.totpCode);
      if (isRefusal(before)) return before;
      await this.changes.announce(m, input.userId, 'push-device', before);
      if (!(await this.devices.retire(m, input.subscriptionId, 'removed by customer', input.userId))) return problem('not_found');
      await this.audit.append(m, { event: 'push_device_removed', userId: input.userId, detail: { subscriptionId: input.subscriptionId } });
      return { ok: true };
    });
  }
}
