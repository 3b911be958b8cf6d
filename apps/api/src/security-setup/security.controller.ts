import { Caller } from '@app/crypto';
import { Body, Controller, Get, HttpCode, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { BearerGuard, CurrentCaller } from '../http/bearer.guard';
import { SecurityStatusDto, SetEmailDto, TotpCodeDto, TotpEnrolmentDto } from './security.dto';
import { SecurityService } from './security.service';

@ApiTags('customer: security setup')
@ApiBearerAuth()
@UseGuards(BearerGuard)
@Controller('v1/me')
export class SecurityController {
  constructor(private readonly security: SecurityService) {}

  @Get('security')
  status(@CurrentCaller() caller: Caller): Promise<SecurityStatusDto> {
    return this.security.status(caller.id);
  }

  @Put('email')
  @HttpCode(202)
  async setEmail(@CurrentCaller() caller: Caller, @Body() body: SetEmailDto): Promise<void> {
    await this.security.requestEmailChange(caller.id, body.email);
  }

  @Post('totp')
  @HttpCode(201)
  enrolTotp(@CurrentCaller() caller: Caller): Promise<TotpEnrolmentDto> {
    return this.security.enrolTotp(caller.id);
  }

  @Post('totp/activate')
  @HttpCode(204)
  async activateTotp(@CurrentCaller() caller: Caller, @Body() body: TotpCodeDto): Promise<void> {
    await this.security.activateTotp(caller.id, body.code);
  }
}
