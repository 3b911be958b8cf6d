import { Caller } from '@app/crypto';
import { DEVICE_ID_PATTERN, isPositiveAmount } from '@app/domain';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { CUSTOMER_PAGE_SIZE } from '../api-constants';
import { BearerGuard, CurrentCaller } from '../http/bearer.guard';
import { Problem } from '../http/problem';
import { TotpCodeDto } from '../security-setup/security.dto';
import { CreateWithdrawal } from './create-withdrawal';
import { CreateWithdrawalDto, ListWithdrawalsQuery, Page, WithdrawalStatusDocument } from './withdrawal.dto';
import { WithdrawalDecisions } from './withdrawal-decisions.service';
import { WithdrawalStatusService } from './withdrawal-status.service';
import { WithdrawalEventsService } from './withdrawal-events.service';
import { WITHDRAWAL_ID } from './withdrawal-id';
import { CustomerWrite } from '../http/rate-limits/rate-limit.guard';

const WithdrawalId = () => Param('id', WITHDRAWAL_ID);

/** Customers' withdrawals. `GET /v1/withdrawals/:id`, the status poll, is WithdrawalStatusRoute's, outside Nest's pipeline. */
@ApiTags('customer: withdrawals')
@ApiBearerAuth()
@UseGuards(BearerGuard)
@Controller('v1/withdrawals')
export class WithdrawalsController {
  constructor(
    private readonly create: CreateWithdrawal,
    private readonly status: WithdrawalStatusService,
    private readonly decisions: WithdrawalDecisions,
    private readonly eventStreams: WithdrawalEventsService,
  ) {}

  @CustomerWrite()
  @Post()
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  @ApiHeader({
    name: 'X-Device-Id',
    required: false,
    description: "the frontend's stable identifier of the customer's device (1 to 200 printable ASCII characters); feeds the risk checks",
  })
  @ApiResponse({ status: 202, type: WithdrawalStatusDocument })
  async request(
    @CurrentCaller() caller: Caller,
    @Headers('idempotency-key') key: string | undefined,
    @Headers('x-device-id') deviceId: string | undefined,
    @Body() body: CreateWithdrawalDto,
    @Req() request: FastifyRequest,
  ): Promise<WithdrawalStatusDocument> {
    if (!key || key.length > 200) throw new Problem('validation_failed', 'the Idempotency-Key header (1 to 200 characters) is required');
    if (!isPositiveAmount(body.amount)) throw new Problem('validation_failed', 'amount must be a positive decimal string with at most 18 decimals');
    if (deviceId !== undefined && !DEVICE_ID_PATTERN.test(deviceId)) {
      throw new Problem('validation_failed', 'X-Device-Id must be 1 to 200 printable ASCII characters');
    }
    return this.create.execute({
      userId: caller.id,
      idempotencyKey: key,
      addressId: body.addressId,
      amount: body.amount,
      requestIp: request.ip,
      deviceId,
    });
  }

  @Get()
  list(@CurrentCaller() caller: Caller, @Query() query: ListWithdrawalsQuery): Promise<Page<WithdrawalStatusDocument>> {
    return this.status.list(caller.id, query.status, query.cursor, CUSTOMER_PAGE_SIZE);
  }

  /** The status document as Server-Sent Events: at once, on every change, until a final status. */
  @Get(':id/events')
  @ApiProduces('text/event-stream')
  @ApiResponse({ status: 200, description: 'text/event-stream: events `status` with the status document' })
  async events(@CurrentCaller() caller: Caller, @WithdrawalId() id: string, @Res() reply: FastifyReply): Promise<void> {
    await this.eventStreams.open(caller.id, id, (headers) => {
      // From here on the stream is ours: Fastify sends nothing more, the headers set so far (CORS, request id) go first.
      reply.hijack();
      reply.raw.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), ...headers });
      return reply.raw;
    });
  }

  @CustomerWrite()
  @Post(':id/totp')
  @HttpCode(200)
  @ApiResponse({ status: 200, type: WithdrawalStatusDocument })
  totp(@CurrentCaller() caller: Caller, @WithdrawalId() id: string, @Body() body: TotpCodeDto): Promise<WithdrawalStatusDocument> {
    return this.decisions.submitTotp(caller.id, id, body.code);
  }

  @CustomerWrite()
  @Post(':id/cancel')
  @HttpCode(200)
  @ApiResponse({ status: 200, type: WithdrawalStatusDocument })
  cancel(@CurrentCaller() caller: Caller, @WithdrawalId() id: string): Promise<WithdrawalStatusDocument> {
    return this.decisions.cancel(caller.id, id);
  }
}
