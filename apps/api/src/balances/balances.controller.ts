import { Balance, LedgerRepository } from '@app/ledger';
import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BearerGuard, CurrentCaller } from '../auth/bearer.guard';
import { Caller } from '@app/crypto';

@ApiTags('customer: security setup')
@ApiBearerAuth()
@UseGuards(BearerGuard)
@Controller('v1/me/balances')
export class BalancesController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerRepository,
  ) {}

  /** Available is what can be withdrawn now; held is reserved by withdrawals awaiting confirmation. */
  @Get()
  balances(@CurrentCaller() caller: Caller): Promise<Balance[]> {
    return this.ledger.balances(this.dataSource.manager, caller.id);
  }
}
