import { appendAudit, updateReturning } from '@app/database';
import { isPositiveAmount } from '@app/ledger';
import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { BearerGuard, CurrentCaller, OperatorOnly } from '../auth/bearer.guard';
import { Caller } from '@app/crypto';
import { Problem } from '../problems/problem';
import { VerdictClient } from '../verdicts/verdict-client';
import { OperatorWithdrawalView, WithdrawalStatusReader } from '../withdrawals/withdrawal-status';

export class DepositDto {
  @ApiProperty() @IsString() @Length(1, 200) userId: string;
  @ApiProperty({ example: 'BTC' }) @IsString() @Matches(/^[A-Z0-9]{2,12}$/) asset: string;
  @ApiProperty({ example: '1.5' }) @IsString() amount: string;
  @ApiProperty({ example: 'chain-tx-0001' }) @IsString() @Length(1, 200) reference: string;
}

export class ReasonDto {
  @ApiProperty() @IsString() @Length(1, 500) reason: string;
}

const STATUSES = ['pending_confirmation', 'held', 'posted', 'denied', 'expired', 'cancelled', 'rejected'];

export class AdminWithdrawalsQuery {
  @ApiPropertyOptional({ enum: STATUSES, default: 'held' }) @IsOptional() @IsIn(STATUSES) status?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() cursor?: string;
}

export class AuditQuery {
  @ApiPropertyOptional() @IsOptional() @IsUUID() withdrawalId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) userId?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(/^[0-9]{1,18}$/) cursor?: string;
}

@ApiTags('operators')
@ApiBearerAuth()
@UseGuards(BearerGuard)
@OperatorOnly()
@Controller('v1/admin')
export class AdminController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly verdicts: VerdictClient,
    private readonly withdrawals: WithdrawalStatusReader,
  ) {}

  /**
   * Credits a customer once per reference: 201 the first time, 200 with the same transfer after. The API
   * cannot credit: it relays the operator's own token to the confirmation service, which checks it.
   */
  @Post('deposits')
  async deposit(@Body() body: DepositDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    if (!isPositiveAmount(body.amount)) throw new Problem('validation_failed', 'amount must be a positive decimal string');
    const operatorToken = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    const verdict = await this.verdicts.ask({ name: 'credit-deposit', data: { operatorToken, ...body } });
    void reply.status(verdict.created ? 201 : 200);
    return { transferId: verdict.transferId, userId: body.userId, asset: body.asset, amount: body.amount, reference: body.reference };
  }

  /** The global kill switch: while paused, no withdrawal is accepted (those pending still complete or expire). */
  @Post('withdrawals/pause')
  @HttpCode(200)
  async pause(@CurrentCaller() operator: Caller, @Body() body: ReasonDto) {
    await this.dataSource.transaction(async (m) => {
      await m.query(
        `INSERT INTO withdrawal_pause (paused_by, reason) VALUES ($1, $2)
           ON CONFLICT (singleton) DO UPDATE SET paused_by = EXCLUDED.paused_by, reason = EXCLUDED.reason, paused_at = now()`,
        [operator.id, body.reason],
      );
      await appendAudit(m, { actor: `operator:${operator.id}`, event: 'withdrawals_paused', detail: { reason: body.reason } });
    });
    return this.pauseState();
  }

  @Post('withdrawals/resume')
  @HttpCode(200)
  async resume(@CurrentCaller() operator: Caller) {
    await this.dataSource.transaction(async (m) => {
      await m.query('DELETE FROM withdrawal_pause');
      await appendAudit(m, { actor: `operator:${operator.id}`, event: 'withdrawals_resumed' });
    });
    return this.pauseState();
  }

  @Get('withdrawals/pause')
  async pauseState(): Promise<{ paused: boolean; reason: string | null; pausedAt: string | null; pausedBy: string | null }> {
    const [row] = await this.dataSource.query('SELECT reason, paused_at, paused_by FROM withdrawal_pause');
    return row
      ? { paused: true, reason: row.reason, pausedAt: row.paused_at.toISOString(), pausedBy: row.paused_by }
      : { paused: false, reason: null, pausedAt: null, pausedBy: null };
  }

  /** The review queue (held by default), any customer's, oldest first. */
  @Get('withdrawals')
  async review(@Query() query: AdminWithdrawalsQuery) {
    return this.withdrawals.listForOperators(query.status ?? 'held', query.cursor, 100);
  }

  /** A held withdrawal goes on; it still posts only with all three factors. */
  @Post('withdrawals/:id/release')
  @HttpCode(200)
  async release(@CurrentCaller() operator: Caller, @Param('id', ParseUUIDPipe) id: string): Promise<OperatorWithdrawalView> {
    await this.verdicts.ask({ name: 'release-withdrawal', data: { operatorId: operator.id, withdrawalId: id } });
    return (await this.withdrawals.forOperator(id))!;
  }

  @Post('withdrawals/:id/reject')
  @HttpCode(200)
  async reject(@CurrentCaller() operator: Caller, @Param('id', ParseUUIDPipe) id: string, @Body() body: ReasonDto): Promise<OperatorWithdrawalView> {
    await this.verdicts.ask({ name: 'reject-withdrawal', data: { operatorId: operator.id, withdrawalId: id, reason: body.reason } });
    return (await this.withdrawals.forOperator(id))!;
  }

  /** Mass revocation: customers must re-enrol TOTP; open withdrawals are voided. */
  @Post('totp/revoke-all')
  @HttpCode(200)
  async revokeAllTotp(@CurrentCaller() operator: Caller, @Body() body: ReasonDto): Promise<{ result: string }> {
    const verdict = await this.verdicts.ask({ name: 'revoke-all-totp', data: { operatorId: operator.id, reason: body.reason } });
    return { result: verdict.status ?? 'done' };
  }

  @Post('users/:userId/freeze')
  @HttpCode(204)
  async freeze(@CurrentCaller() operator: Caller, @Param('userId') userId: string, @Body() body: ReasonDto): Promise<void> {
    await this.setFrozen(operator, userId, body.reason);
  }

  @Post('users/:userId/unfreeze')
  @HttpCode(204)
  async unfreeze(@CurrentCaller() operator: Caller, @Param('userId') userId: string): Promise<void> {
    await this.setFrozen(operator, userId, null);
  }

  @Get('audit')
  async audit(@Query() query: AuditQuery) {
    const rows = await this.dataSource.query(
      `SELECT id::text, at, actor, event, user_id AS "userId", withdrawal_id AS "withdrawalId", detail FROM audit_events
        WHERE ($1::uuid IS NULL OR withdrawal_id = $1) AND ($2::text IS NULL OR user_id = $2)
          AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT 101`,
      [query.withdrawalId ?? null, query.userId ?? null, query.cursor ?? null],
    );
    const items = rows.slice(0, 100);
    return { items, nextCursor: rows.length > 100 ? items[items.length - 1].id : null };
  }

  private async setFrozen(operator: Caller, userId: string, reason: string | null): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const rows = await updateReturning(
        m,
        `UPDATE users SET withdrawals_frozen_at = CASE WHEN $2::text IS NULL THEN NULL ELSE coalesce(withdrawals_frozen_at, now()) END,
                          frozen_reason = $2 WHERE id = $1 RETURNING id`,
        [userId, reason],
      );
      if (!rows.length) throw new Problem('not_found');
      await appendAudit(m, { actor: `operator:${operator.id}`, event: reason ? 'account_frozen' : 'account_unfrozen', userId, detail: reason ? { reason } : {} });
    });
  }
}
