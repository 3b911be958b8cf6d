import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { RateLimit, RateLimitGuard } from '../http/rate-limits/rate-limit.guard';
import { ConfirmationsService } from './confirmations.service';

export class ConfirmationDto {
  @ApiProperty() @IsString() @Length(16, 200) token: string;
  @ApiProperty({ enum: ['approve', 'deny'] }) @IsIn(['approve', 'deny']) decision: 'approve' | 'deny';
  @ApiPropertyOptional({ example: '47' }) @IsOptional() @IsString() @Matches(/^[0-9]{2}$/) matchCode?: string;
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
    return this.confirmations.decide(body.token, body.decision, body.matchCode);
  }
}
