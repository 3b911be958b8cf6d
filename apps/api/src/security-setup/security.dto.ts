import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEmail, IsOptional, IsString, IsUrl, Length, Matches, MaxLength, ValidateNested } from 'class-validator';

/** Six digits from the customer's active authenticator: a factor changes only with a factor. */
const StepUpCode = () =>
  applyDecorators(
    ApiPropertyOptional({ example: '123456', description: 'a current code from the active authenticator; required once TOTP is active' }),
    IsOptional(),
    IsString(),
    Matches(/^[0-9]{6}$/, { message: 'totpCode must be six digits' }),
  );

export class SetEmailDto {
  @ApiProperty({ example: 'alice@example.com' })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @StepUpCode() totpCode?: string;
}

export class EnrolTotpDto {
  @ApiPropertyOptional({ example: '123456', description: 'a current code from the active authenticator, to replace it' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'currentCode must be six digits' })
  currentCode?: string;
}

export class StepUpDto {
  @StepUpCode() totpCode?: string;
}

export class TotpCodeDto {
  @ApiProperty({ example: '123456', description: 'six digits from the authenticator' })
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'code must be six digits' })
  code: string;
}

export class TotpEnrolmentDto {
  @ApiProperty({ description: 'base32 secret, shown once' }) secret: string;
  @ApiProperty({ example: 'otpauth://totp/Countersign:alice?secret=…&issuer=Countersign' }) otpauthUri: string;
}

export class SecurityStatusDto {
  @ApiProperty({ example: { address: 'alice@example.com', verified: true } }) email: { address: string | null; verified: boolean };
  @ApiProperty({ example: { active: true } }) totp: { active: boolean };
  @ApiProperty() pushDevices: number;
  @ApiProperty({ nullable: true, type: String }) withdrawalsLockedUntil: string | null;
  @ApiProperty({ description: 'the account is frozen until an operator unfreezes it' }) frozen: boolean;
  @ApiProperty({ description: 'active passkeys' }) passkeys: number;
  @ApiProperty({ description: 'whether an anti-phishing code is set (never the code)' }) antiPhishingCode: boolean;
}

export class EmailVerificationDto {
  @ApiProperty() @IsString() @Length(16, 200) token: string;
}

class PushKeysDto {
  @ApiProperty() @IsString() @Matches(/^[A-Za-z0-9_-]{80,100}={0,2}$/, { message: 'keys.p256dh must be a base64url P-256 point' }) p256dh: string;
  @ApiProperty() @IsString() @Matches(/^[A-Za-z0-9_-]{16,32}={0,2}$/, { message: 'keys.auth must be base64url' }) auth: string;
}

export class PushSubscriptionDto {
  @ApiProperty({ example: 'https://push.example.net/send/abc' })
  @IsUrl({ require_tld: false, protocols: ['https', 'http'], require_protocol: true })
  @MaxLength(2048)
  endpoint: string;

  @ApiProperty({ type: PushKeysDto }) @ValidateNested() @Type(() => PushKeysDto) keys: PushKeysDto;

  @StepUpCode() totpCode?: string;
}

export class CreateAddressDto {
  @ApiProperty({ example: 'BTC' }) @IsString() @Matches(/^[A-Z0-9]{2,12}$/, { message: 'asset must be an upper-case symbol' }) asset: string;
  @ApiProperty({ example: 'bitcoin' }) @IsString() @Matches(/^[a-z0-9-]{2,32}$/, { message: 'network must be lower-case' }) network: string;
  @ApiProperty({ example: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq' })
  @IsString()
  @Matches(/^[A-Za-z0-9:._-]{10,128}$/, { message: 'address has unexpected characters or length' })
  address: string;
  @ApiProperty({ example: 'cold wallet' }) @IsString() @MaxLength(64) label: string;
  @ApiProperty({ example: '123456' }) @IsString() @Length(6, 6) @Matches(/^[0-9]{6}$/) totpCode: string;
}

export class AddressView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() asset: string;
  @ApiProperty() network: string;
  @ApiProperty() address: string;
  @ApiProperty() label: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() usableAt: string;
}
