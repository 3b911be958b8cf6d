import { APP_CONFIG, AppConfig } from '@app/config';
import { AuditRepository, CustomerRepository, Transactions, WithdrawalAddress, WithdrawalAddressRepository } from '@app/database';
import { Inject, Injectable } from '@nestjs/common';
import { Problem } from '../http/problem';
import { VerdictClient } from '../http/verdict-client';
import { AddressView, CreateAddressDto } from './security.dto';

/** The withdrawal allow-list: adding needs a TOTP code, and a new address cools off before use. */
@Injectable()
export class AddressesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly customers: CustomerRepository,
    private readonly addresses: WithdrawalAddressRepository,
    private readonly audit: AuditRepository,
    private readonly verdicts: VerdictClient,
  ) {}

  async add(userId: string, body: CreateAddressDto): Promise<{ id: string; usableAt: string }> {
    await this.customers.ensure(userId);
    await this.verdicts.ask({ name: 'verify-account-totp', data: { userId, code: body.totpCode } });
    return this.transactions.run(async (m) => {
      const { asset, network, address, label } = body;
      const added = await this.addresses.insert(m, userId, { asset, network, address, label }, this.config.addressCoolingOffMs);
      await this.audit.append(m, { event: 'address_added', userId, detail: { addressId: added.id } });
      return { id: added.id, usableAt: added.usableAt.toISOString() };
    });
  }

  async list(userId: string): Promise<AddressView[]> {
    return (await this.addresses.listLive(userId)).map(view);
  }

  async remove(userId: string, id: string): Promise<void> {
    await this.transactions.run(async (m) => {
      if (!(await this.addresses.remove(m, userId, id))) throw new Problem('not_found');
    });
  }
}

const view = (a: WithdrawalAddress): AddressView => ({
  id: a.id,
  asset: a.asset,
  network: a.network,
  address: a.address,
  label: a.label,
  createdAt: a.createdAt.toISOString(),
  usableAt: a.usableAt.toISOString(),
});
