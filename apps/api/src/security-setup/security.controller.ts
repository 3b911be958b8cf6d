import { Caller } from '@app/crypto';
import { Body, Controller, Get, Header, HttpCode, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { BearerGuard, CurrentCaller } from '../http/bearer.guard';
import { EnrolTotpDto, SecurityStatusDto, SetEmailDto, TotpCodeDto, TotpEnrolmentDto } from './security.dto';
import { SecurityService } from './security.service';
import { CustomerWrite } from '../http/rate-limits/rate-limit.guard';

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

  @CustomerWrite('email-changes')
  @Put('email')
  @HttpCode(202)
  async setEmail(@CurrentCaller() caller: Caller, @Body() body: SetEmailDto): Promise<void> {
    await this.security.requestEmailChange(caller.id, body.email, body.totpCode);
  }

  /** The secret is answered once: never stored by a browser or a proxy. */
  @CustomerWrite()
  @Post('totp')
  @HttpCode(201)
  @Header('cache-control', 'no-store')
  enrolTotp(@CurrentCaller() caller: Caller, @Body() body: EnrolTotpDto): Promise<TotpEnrolmentDto> {
    return this.security.enrolTotp(caller.id, body.currentCode);
  }

  @CustomerWrite()
  @Post('totp/activate')
  @HttpCode(204)
  async activateTotp(@CurrentCaller() caller: Caller, @Body() body: TotpCodeDto): Promise<void> {
    await this.security.activateTotp(caller.id, body.code);
  }
}
