import { Caller } from '@app/crypto';
import { Balance } from '@app/database';
import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { BearerGuard, CurrentCaller } from '../http/bearer.guard';
import { BalancesService } from './balances.service';

@ApiTags('customer: security setup')
@ApiBearerAuth()
@UseGuards(BearerGuard)
@Controller('v1/me/balances')
export class BalancesController {
  constructor(private readonly balances: BalancesService) {}

  @Get()
  list(@CurrentCaller() caller: Caller): Promise<Balance[]> {
    return this.balances.of(caller.id);
  }
}
