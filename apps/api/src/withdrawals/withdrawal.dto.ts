import { Factor, FactorStatus, WITHDRAWAL_STATUSES, WithdrawalStatus } from '@app/domain';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches } from 'class-validator';

export class CreateWithdrawalDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() addressId: string;
  @ApiProperty({ example: '0.015', description: 'decimal string, never a number' })
  @IsString()
  @Matches(/^[0-9.]+$/, { message: 'amount must be a decimal string' })
  amount: string;
}

export class ListWithdrawalsQuery {
  @ApiPropertyOptional({ enum: WITHDRAWAL_STATUSES }) @IsOptional() @IsIn(WITHDRAWAL_STATUSES) status?: WithdrawalStatus;
  @ApiPropertyOptional() @IsOptional() @IsString() cursor?: string;
}

/** The status document frontends poll (shared/API.md). */
export class WithdrawalStatusDocument {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: WITHDRAWAL_STATUSES }) status: WithdrawalStatus;
  @ApiProperty({ example: 'BTC' }) asset: string;
  @ApiProperty({ example: 'bitcoin' }) network: string;
  @ApiProperty({ example: '0.015' }) amount: string;
  @ApiProperty({ example: '0' }) fee: string;
  @ApiProperty() address: string;
  @ApiProperty({ example: { email: 'pending', push: 'approved', totp: 'pending' } }) factors: Record<Factor, FactorStatus>;
  @ApiProperty({ example: '47', description: 'shown to the owner only: pick it on the email and push pages' }) matchCode: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() expiresAt: string;
  @ApiProperty({ nullable: true, type: String }) postedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
}

/**
 * What operators see: the owner, no match code (it is the owner's alone), and `handedOffAt`, when the
 * exchange's wallet completed the withdrawal's withdrawals-posted job (null until it has).
 */
export type OperatorWithdrawalView = Omit<WithdrawalStatusDocument, 'matchCode'> & { userId: string; handedOffAt: string | null };

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
