import { APP_CONFIG, AppConfig } from '@app/config';
import { AuditRepository, Transactions, WithdrawalAddressRepository } from '@app/database';
import { problem, Verdict } from '@app/domain';
import { Inject, Injectable } from '@nestjs/common';
import { SecurityChanges } from './security-changes';
import { isRefusal, StepUp } from './step-up';

/**
 * The withdrawal allow-list: adding or removing an address needs a TOTP code (always), is announced, and
 * ends open withdrawals; a new address is usable only after its cooling-off (which Postgres enforces too).
 */
@Injectable()
export class Addresses {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly stepUp: StepUp,
    private readonly addresses: WithdrawalAddressRepository,
    private readonly changes: SecurityChanges,
    private readonly audit: AuditRepository,
  ) {}

  add(input: { userId: string; asset: string; network: string; address: string; label: string; totpCode?: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const before = await this.stepUp.require(m, input.userId, input.totpCode, true);
      if (isRefusal(before)) return before;
      const { asset, network, address, label } = input;
      const added = await this.addresses.insert(m, input.userId, { asset, network, address, label }, this.config.addressCoolingOffMs);
      await this.audit.append(m, { event: 'address_added', userId: input.userId, detail: { addressId: added.id } });
      await this.changes.announce(m, input.userId, 'address', before);
      return { ok: true, id: added.id, usableAt: added.usableAt.toISOString() };
    });
  }

  /** Removing an address ends the open withdrawals (those to it among them). */
  remove(input: { userId: string; addressId: string; totpCode?: string }): Promise<Verdict> {
    return this.transactions.run(async (m): Promise<Verdict> => {
      const before = await this.stepUp.require(m, input.userId, input.totpCode, true);
      if (isRefusal(before)) return before;
      if (!(await this.addresses.remove(m, input.userId, input.addressId))) return problem('not_found');
      await this.audit.append(m, { event: 'address_removed', userId: input.userId, detail: { addressId: input.addressId } });
      await this.changes.announce(m, input.userId, 'address', before);
      return { ok: true };
    });
  }
}
