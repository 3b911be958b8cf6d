import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Matches, MaxLength } from 'class-validator';

export class SetEmailDto {
  @ApiProperty({ example: 'alice@example.com' })
  @IsEmail()
  @MaxLength(254)
  email: string;
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
}
