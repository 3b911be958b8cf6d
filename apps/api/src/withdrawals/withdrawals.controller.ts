import { isPositiveAmount } from '@app/ledger';
import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { BearerGuard, CurrentCaller } from '../auth/bearer.guard';
import { Caller } from '@app/crypto';
import { Problem } from '../problems/problem';
import { TotpCodeDto } from '../security/security.dto';
import { VerdictClient } from '../verdicts/verdict-client';
import { CreateWithdrawal } from './create-withdrawal';
import { BadCursor, WithdrawalStatusDocument, WithdrawalStatusReader } from './withdrawal-status';

export class CreateWithdrawalDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() addressId: string;
  @ApiProperty({ example: '0.015', description: 'decimal string, never a number' })
  @IsString()
  @Matches(/^[0-9.]+$/, { message: 'amount must be a decimal string' })
  amount: string;
}

const STATUSES = ['pending_confirmation', 'held', 'posted', 'denied', 'expired', 'cancelled', 'rejected'];

export class ListWithdrawalsQuery {
  @ApiPropertyOptional({ enum: STATUSES }) @IsOptional() @IsIn(STATUSES) status?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() cursor?: string;
}

const etagOf = (doc: WithdrawalStatusDocument) => `"${createHash('sha256').update(JSON.stringify(doc)).digest('base64url').slice(0, 27)}"`;

@ApiTags('customer: withdrawals')
@ApiBearerAuth()
@UseGuards(BearerGuard)
@Controller('v1/withdrawals')
export class WithdrawalsController {
  constructor(
    private readonly create: CreateWithdrawal,
    private readonly status: WithdrawalStatusReader,
    private readonly verdicts: VerdictClient,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  @ApiResponse({ status: 202, type: WithdrawalStatusDocument })
  async request(
    @CurrentCaller() caller: Caller,
    @Headers('idempotency-key') key: string | undefined,
    @Body() body: CreateWithdrawalDto,
    @Req() request: FastifyRequest,
  ): Promise<WithdrawalStatusDocument> {
    if (!key || key.length > 200) throw new Problem('validation_failed', 'the Idempotency-Key header (1 to 200 characters) is required');
    if (!isPositiveAmount(body.amount)) throw new Problem('validation_failed', 'amount must be a positive decimal string with at most 18 decimals');
    return this.create.execute({ userId: caller.id, idempotencyKey: key, addressId: body.addressId, amount: body.amount, requestIp: request.ip });
  }

  @Get()
  async list(@CurrentCaller() caller: Caller, @Query() query: ListWithdrawalsQuery) {
    try {
      return await this.status.list(caller.id, query.status, query.cursor, 50);
    } catch (error) {
      if (error instanceof BadCursor) throw new Problem('validation_failed', error.message);
      throw error;
    }
  }

  /** Frontends poll this: an unchanged document answers 304 to If-None-Match. */
  @Get(':id')
  @ApiResponse({ status: 200, type: WithdrawalStatusDocument })
  @ApiResponse({ status: 304, description: 'unchanged since the ETag given in If-None-Match' })
  async get(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseUUIDPipe({ exceptionFactory: () => new Problem('not_found') })) id: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WithdrawalStatusDocument | undefined> {
    const doc = await this.owned(caller, id);
    const etag = etagOf(doc);
    void reply.header('etag', etag).header('cache-control', 'private, no-cache');
    if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      void reply.status(304);
      return undefined;
    }
    return doc;
  }

  @Post(':id/totp')
  @HttpCode(200)
  @ApiResponse({ status: 200, type: WithdrawalStatusDocument })
  async totp(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseUUIDPipe({ exceptionFactory: () => new Problem('not_found') })) id: string,
    @Body() body: TotpCodeDto,
  ): Promise<WithdrawalStatusDocument> {
    await this.verdicts.ask({ name: 'verify-totp', data: { userId: caller.id, withdrawalId: id, code: body.code } });
    return this.owned(caller, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiResponse({ status: 200, type: WithdrawalStatusDocument })
  async cancel(
    @CurrentCaller() caller: Caller,
    @Param('id', new ParseUUIDPipe({ exceptionFactory: () => new Problem('not_found') })) id: string,
  ): Promise<WithdrawalStatusDocument> {
    await this.verdicts.ask({ name: 'cancel-withdrawal', data: { userId: caller.id, withdrawalId: id } });
    return this.owned(caller, id);
  }

  /** Another customer's withdrawal is not found, never forbidden. */
  private async owned(caller: Caller, id: string): Promise<WithdrawalStatusDocument> {
    const doc = await this.status.forOwner(caller.id, id);
    if (!doc) throw new Problem('not_found');
    return doc;
  }
}
