import { MAX_CUSTOMER_ID_LENGTH, WITHDRAWAL_STATUSES, WithdrawalStatus } from '@app/domain';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';

export class DepositDto {
  @ApiProperty() @IsString() @Length(1, MAX_CUSTOMER_ID_LENGTH) userId: string;
  @ApiProperty({ example: 'BTC' }) @IsString() @Matches(/^[A-Z0-9]{2,12}$/) asset: string;
  @ApiProperty({ example: '1.5' }) @IsString() amount: string;
  @ApiProperty({ example: 'chain-tx-0001' }) @IsString() @Length(1, 200) reference: string;
}

export class ReasonDto {
  @ApiProperty() @IsString() @Length(1, 500) reason: string;
}

export class AdminWithdrawalsQuery {
  @ApiPropertyOptional({ enum: WITHDRAWAL_STATUSES, default: 'held' }) @IsOptional() @IsIn(WITHDRAWAL_STATUSES) status?: WithdrawalStatus;
  @ApiPropertyOptional() @IsOptional() @IsString() cursor?: string;
}

export class AuditQuery {
  @ApiPropertyOptional() @IsOptional() @IsUUID() withdrawalId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_CUSTOMER_ID_LENGTH) userId?: string;
  @ApiPropertyOptional({ example: 'job_refused' }) @IsOptional() @Matches(/^[a-z_]{1,64}$/) event?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(/^[0-9]{1,18}$/) cursor?: string;
}

/** The kill switch as shared/API.md answers it (`by`, `since`); `pausedBy` and `pausedAt` are the same, kept for older consoles. */
export interface PauseState {
  paused: boolean;
  reason: string | null;
  /** An operator's id, or "automatic". */
  by: string | null;
  since: string | null;
  pausedAt: string | null;
  pausedBy: string | null;
}

export interface DepositResult {
  transferId?: string;
  userId: string;
  asset: string;
  amount: string;
  reference: string;
}
