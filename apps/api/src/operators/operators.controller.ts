import { Caller } from '@app/crypto';
import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { BearerGuard, CurrentCaller, CurrentOperator, OperatorOnly } from '../http/bearer.guard';
import { OperatorWithdrawalView } from '../withdrawals/withdrawal.dto';
import { AuditLogService } from './audit-log.service';
import { OperatorAction, OperatorActionsService } from './operator-actions.service';
import { AdminWithdrawalsQuery, AuditQuery, DepositDto, ReasonDto } from './operators.dto';
import { OutboxReportService } from './outbox-report.service';
import { WithdrawalPauseService } from './withdrawal-pause.service';

@ApiTags('operators')
@ApiBearerAuth()
@UseGuards(BearerGuard)
@OperatorOnly()
@Controller('v1/admin')
export class OperatorsController {
  constructor(
    private readonly actions: OperatorActionsService,
    private readonly pause: WithdrawalPauseService,
    private readonly auditLog: AuditLogService,
    private readonly outbox: OutboxReportService,
  ) {}

  /** Credits a customer once per reference: 201 the first time, 200 with the same transfer after. */
  @Post('deposits')
  async deposit(@CurrentOperator() operator: OperatorAction, @Body() body: DepositDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const { created, result } = await this.actions.deposit(operator, body);
    reply.status(created ? 201 : 200);
    return result;
  }

  @Post('withdrawals/pause')
  @HttpCode(200)
  pauseAll(@CurrentCaller() operator: Caller, @Body() body: ReasonDto) {
    return this.pause.pause(operator.id, body.reason);
  }

  @Post('withdrawals/resume')
  @HttpCode(200)
  resumeAll(@CurrentCaller() operator: Caller) {
    return this.pause.resume(operator.id);
  }

  @Get('withdrawals/pause')
  pauseState() {
    return this.pause.state();
  }

  /** The review queue (held by default), any customer's, newest first. */
  @Get('withdrawals')
  review(@Query() query: AdminWithdrawalsQuery) {
    return this.actions.review(query.status ?? 'held', query.cursor);
  }

  @Post('withdrawals/:id/release')
  @HttpCode(200)
  release(@CurrentOperator() operator: OperatorAction, @Param('id', ParseUUIDPipe) id: string): Promise<OperatorWithdrawalView> {
    return this.actions.release(operator, id);
  }

  @Post('withdrawals/:id/reject')
  @HttpCode(200)
  reject(
    @CurrentOperator() operator: OperatorAction,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: ReasonDto,
  ): Promise<OperatorWithdrawalView> {
    return this.actions.reject(operator, id, body.reason);
  }

  @Post('totp/revoke-all')
  @HttpCode(200)
  revokeAllTotp(@CurrentOperator() operator: OperatorAction, @Body() body: ReasonDto): Promise<{ result: string }> {
    return this.actions.revokeAllTotp(operator, body.reason);
  }

  @Post('users/:userId/freeze')
  @HttpCode(204)
  async freeze(@CurrentOperator() operator: OperatorAction, @Param('userId') userId: string, @Body() body: ReasonDto): Promise<void> {
    await this.actions.freeze(operator, userId, body.reason);
  }

  @Post('users/:userId/unfreeze')
  @HttpCode(204)
  async unfreeze(@CurrentOperator() operator: OperatorAction, @Param('userId') userId: string): Promise<void> {
    await this.actions.unfreeze(operator, userId);
  }

  /** Jobs set aside because they could not be published (each also audited as outbox_row_failed). */
  @Get('outbox/failed')
  async failedJobs() {
    return { items: await this.outbox.failed() };
  }

  @Get('audit')
  audit(@Query() query: AuditQuery) {
    return this.auditLog.page(query);
  }
}
