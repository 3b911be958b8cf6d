import { Balance, LedgerRepository } from '@app/database';
import { Injectable } from '@nestjs/common';

/** Available is what can be withdrawn now; held is reserved by withdrawals awaiting confirmation. */
@Injectable()
export class BalancesService {
  constructor(private readonly ledger: LedgerRepository) {}

  of(userId: string): Promise<Balance[]> {
    return this.ledger.balances(userId);
  }
}
