import { APP_CONFIG, AppConfig } from '@app/config';
import { appendAudit, lockWithdrawalsAfterSecurityChange, updateReturning } from '@app/database';
import { Body, Controller, Delete, Get, Header, HttpCode, Inject, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { Type } from 'class-transformer';
import { IsString, IsUrl, Matches, MaxLength, ValidateNested } from 'class-validator';
import { DataSource } from 'typeorm';
import { BearerGuard, CurrentCaller } from '../auth/bearer.guard';
import { Caller } from '@app/crypto';
import { CustomerRepository } from '../customers/customer.repository';
import { Problem } from '../problems/problem';
import { ACTOR } from '../security/security.service';
import { SERVICE_WORKER } from './service-worker';

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
}

@ApiTags('customer: security setup')
@Controller()
export class PushController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly customers: CustomerRepository,
  ) {}

  @Get('v1/push/vapid-public-key')
  vapidPublicKey(): { publicKey: string } {
    return { publicKey: this.config.vapid.publicKey };
  }

  @Get('push/sw.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('service-worker-allowed', '/')
  serviceWorker(): string {
    return SERVICE_WORKER;
  }

  @ApiBearerAuth()
  @UseGuards(BearerGuard)
  @Post('v1/me/push-subscriptions')
  @HttpCode(201)
  async subscribe(@CurrentCaller() caller: Caller, @Body() body: PushSubscriptionDto): Promise<{ id: string }> {
    await this.customers.ensure(caller.id);
    return this.dataSource.transaction(async (m) => {
      const [existing] = await m.query(
        'SELECT id FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2 AND retired_at IS NULL',
        [caller.id, body.endpoint],
      );
      if (existing) return { id: existing.id };
      const [row] = await m.query(
        'INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4) RETURNING id',
        [caller.id, body.endpoint, body.keys.p256dh, body.keys.auth],
      );
      await lockWithdrawalsAfterSecurityChange(m, caller.id, this.config.securityChangeLockMs);
      await appendAudit(m, { actor: ACTOR, event: 'push_device_added', userId: caller.id, detail: { subscriptionId: row.id } });
      return { id: row.id };
    });
  }

  @ApiBearerAuth()
  @UseGuards(BearerGuard)
  @Delete('v1/me/push-subscriptions/:id')
  @HttpCode(204)
  async unsubscribe(@CurrentCaller() caller: Caller, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const rows = await updateReturning(
        m,
        `UPDATE push_subscriptions SET retired_at = now(), retired_reason = 'removed by customer'
          WHERE id = $1 AND user_id = $2 AND retired_at IS NULL RETURNING id`,
        [id, caller.id],
      );
      if (!rows.length) throw new Problem('not_found');
      await appendAudit(m, { actor: ACTOR, event: 'push_device_removed', userId: caller.id, detail: { subscriptionId: id } });
    });
  }
}
