import { CustomerRepository, WithdrawalAddress, WithdrawalAddressRepository } from '@app/database';
import { Injectable } from '@nestjs/common';
import { VerdictClient } from '../http/verdict-client';
import { AddressView, CreateAddressDto } from './security.dto';

/**
 * The withdrawal allow-list. Adding or removing an address needs a TOTP code and is made by the
 * confirmation service; a new address cools off before use.
 */
@Injectable()
export class AddressesService {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly addresses: WithdrawalAddressRepository,
    private readonly verdicts: VerdictClient,
  ) {}

  async add(userId: string, body: CreateAddressDto): Promise<{ id: string; usableAt: string }> {
    await this.customers.ensure(userId);
    const { asset, network, address, label, totpCode } = body;
    const verdict = await this.verdicts.ask('add-address', { userId, asset, network, address, label }, { totpCode });
    return { id: verdict.id!, usableAt: verdict.usableAt! };
  }

  async list(userId: string): Promise<AddressView[]> {
    return (await this.addresses.listLive(userId)).map(view);
  }

  async remove(userId: string, addressId: string, totpCode?: string): Promise<void> {
    await this.verdicts.ask('remove-address', { userId, addressId }, { totpCode });
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
