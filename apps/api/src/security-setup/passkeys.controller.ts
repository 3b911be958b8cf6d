import { Caller } from '@app/crypto';
import { Body, Controller, Delete, Get, Header, HttpCode, Param, ParseUUIDPipe, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { BearerGuard, CurrentCaller } from '../http/bearer.guard';
import { AntiPhishingCodeDto, PasskeyView, RegisterPasskeyDto } from './passkeys.dto';
import { PasskeysService } from './passkeys.service';
import { StepUpDto } from './security.dto';

/** Passkeys (shared/API.md, "Customer: passkeys") and the anti-phishing code: each change needs a TOTP code and is announced. */
@ApiTags('customer: passkeys')
@ApiBearerAuth()
@UseGuards(BearerGuard)
@Controller('v1/me')
export class PasskeysController {
  constructor(private readonly passkeys: PasskeysService) {}

  @Post('passkeys/registration-options')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOkResponse({
    description: 'WebAuthn creation options (JSON form): rp id WEBAUTHN_RP_ID, user verification required, existing passkeys excluded',
  })
  registrationOptions(@CurrentCaller() caller: Caller, @Body() body: StepUpDto): Promise<Record<string, unknown>> {
    return this.passkeys.registrationOptions(caller.id, body?.totpCode);
  }

  @Post('passkeys')
  @HttpCode(201)
  register(@CurrentCaller() caller: Caller, @Body() body: RegisterPasskeyDto): Promise<PasskeyView> {
    return this.passkeys.register(caller.id, body.response, body.label);
  }

  @Get('passkeys')
  @ApiOkResponse({ type: [PasskeyView] })
  list(@CurrentCaller() caller: Caller): Promise<PasskeyView[]> {
    return this.passkeys.list(caller.id);
  }

  @Delete('passkeys/:id')
  @HttpCode(204)
  async remove(@CurrentCaller() caller: Caller, @Param('id', ParseUUIDPipe) id: string, @Body() body: StepUpDto | undefined): Promise<void> {
    await this.passkeys.remove(caller.id, id, body?.totpCode);
  }

  /** The code itself is never answered: GET /v1/me/security says only whether one is set. */
  @Put('anti-phishing-code')
  @HttpCode(204)
  async setAntiPhishingCode(@CurrentCaller() caller: Caller, @Body() body: AntiPhishingCodeDto): Promise<void> {
    await this.passkeys.setAntiPhishingCode(caller.id, body.code, body.totpCode);
  }
}
