import { Caller } from '@app/crypto';
import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { BearerGuard, CurrentCaller } from '../http/bearer.guard';
import { PushSubscriptionsService } from './push-subscriptions.service';
import { PushSubscriptionDto, StepUpDto } from './security.dto';
import { CustomerWrite } from '../http/rate-limits/rate-limit.guard';

@ApiTags('customer: security setup')
@Controller()
export class PushSubscriptionsController {
  constructor(private readonly subscriptions: PushSubscriptionsService) {}

  @Get('v1/push/vapid-public-key')
  vapidPublicKey(): { publicKey: string } {
    return { publicKey: this.subscriptions.vapidPublicKey() };
  }

  @ApiBearerAuth()
  @CustomerWrite()
  @UseGuards(BearerGuard)
  @Post('v1/me/push-subscriptions')
  @HttpCode(201)
  async subscribe(@CurrentCaller() caller: Caller, @Body() body: PushSubscriptionDto): Promise<{ id: string }> {
    return { id: await this.subscriptions.subscribe(caller.id, body) };
  }

  @ApiBearerAuth()
  @CustomerWrite()
  @UseGuards(BearerGuard)
  @Delete('v1/me/push-subscriptions/:id')
  @HttpCode(204)
  async unsubscribe(@CurrentCaller() caller: Caller, @Param('id', ParseUUIDPipe) id: string, @Body() body: StepUpDto | undefined): Promise<void> {
    await this.subscriptions.unsubscribe(caller.id, id, body?.totpCode);
  }
}
