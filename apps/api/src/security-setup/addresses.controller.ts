import { Caller } from '@app/crypto';
import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { BearerGuard, CurrentCaller } from '../http/bearer.guard';
import { AddressesService } from './addresses.service';
import { AddressView, CreateAddressDto, StepUpDto } from './security.dto';
import { CustomerWrite } from '../http/rate-limits/rate-limit.guard';

@ApiTags('customer: security setup')
@ApiBearerAuth()
@UseGuards(BearerGuard)
@Controller('v1/me/addresses')
export class AddressesController {
  constructor(private readonly addresses: AddressesService) {}

  @CustomerWrite()
  @Post()
  @HttpCode(201)
  create(@CurrentCaller() caller: Caller, @Body() body: CreateAddressDto): Promise<{ id: string; usableAt: string }> {
    return this.addresses.add(caller.id, body);
  }

  @Get()
  list(@CurrentCaller() caller: Caller): Promise<AddressView[]> {
    return this.addresses.list(caller.id);
  }

  @CustomerWrite()
  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentCaller() caller: Caller, @Param('id', ParseUUIDPipe) id: string, @Body() body: StepUpDto | undefined): Promise<void> {
    await this.addresses.remove(caller.id, id, body?.totpCode);
  }
}
