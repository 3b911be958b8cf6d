import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, Length, Matches } from 'class-validator';
import { PasskeyAssertionJson } from '@app/queue';
import { RateLimit, RateLimitGuard } from '../http/rate-limits/rate-limit.guard';
import { ConfirmationsService } from './confirmations.service';

export class ConfirmationDto {
  @ApiProperty() @IsString() @Length(16, 200) token: string;
  @ApiProperty({ enum: ['approve', 'deny'] }) @IsIn(['approve', 'deny']) decision: 'approve' | 'deny';
  @ApiPropertyOptional({ example: '47' }) @IsOptional() @IsString() @Matches(/^[0-9]{2}$/) matchCode?: string;
  @ApiPropertyOptional({
    type: Object,
    description: "the browser's WebAuthn assertion (navigator.credentials.get(), JSON form) over POST /v1/confirmations/passkey-options' challenge",
  })
  @IsOptional()
  @IsObject()
  passkey?: PasskeyAssertionJson;
}

export class PasskeyOptionsDto {
  @ApiProperty() @IsString() @Length(16, 200) token: string;
}

export class PasskeyRequestOptionsDto {
  @ApiProperty({ description: 'base64url(SHA-256("countersign/webauthn/v1" ‖ digest ‖ push challenge id))' }) challenge: string;
  @ApiProperty() rpId: string;
  @ApiProperty({ example: [{ id: 'base64url credential id', type: 'public-key', transports: ['internal'] }] })
  allowCredentials: { id: string; type: 'public-key'; transports: string[] }[];
  @ApiProperty({ enum: ['required'] }) userVerification: 'required';
  @ApiProperty({ description: 'milliseconds' }) timeout: number;
}

export class ConfirmationResultDto {
  @ApiProperty({ enum: ['email', 'push'] }) factor: string;
  @ApiProperty({ enum: ['approved', 'denied'] }) status: string;
}

/** No bearer: the token is the credential. The confirmation service decides; this relays. */
@ApiTags('customer: out-of-band confirmation')
@RateLimit('public')
@UseGuards(RateLimitGuard)
@Controller('v1/confirmations')
export class ConfirmationsController {
  constructor(private readonly confirmations: ConfirmationsService) {}

  @Post()
  @HttpCode(200)
  decide(@Body() body: ConfirmationDto): Promise<ConfirmationResultDto> {
    return this.confirmations.decide(body.token, body.decision, body.matchCode, body.passkey);
  }

  /** The request options for approving a push token with a passkey; changes nothing. */
  @Post('passkey-options')
  @HttpCode(200)
  passkeyOptions(@Body() body: PasskeyOptionsDto): Promise<PasskeyRequestOptionsDto> {
    return this.confirmations.passkeyOptions(body.token);
  }
}
