import { APP_CONFIG, AppConfig } from '@app/config';
import { appendAudit, updateReturning } from '@app/database';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsString, Length, Matches, MaxLength } from 'class-validator';
import { DataSource } from 'typeorm';
import { BearerGuard, CurrentCaller } from '../auth/bearer.guard';
import { Caller } from '@app/crypto';
import { CustomerRepository } from '../customers/customer.repository';
import { Problem } from '../problems/problem';
import { ACTOR } from '../security/security.service';
import { VerdictClient } from '../verdicts/verdict-client';

export class CreateAddressDto {
  @ApiProperty({ example: 'BTC' }) @IsString() @Matches(/^[A-Z0-9]{2,12}$/, { message: 'asset must be an upper-case symbol' }) asset: string;
  @ApiProperty({ example: 'bitcoin' }) @IsString() @Matches(/^[a-z0-9-]{2,32}$/, { message: 'network must be lower-case' }) network: string;
  @ApiProperty({ example: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq' })
  @IsString()
  @Matches(/^[A-Za-z0-9:._-]{10,128}$/, { message: 'address has unexpected characters or length' })
  address: string;
  @ApiProperty({ example: 'cold wallet' }) @IsString() @MaxLength(64) label: string;
  @ApiProperty({ example: '123456' }) @IsString() @Length(6, 6) @Matches(/^[0-9]{6}$/) totpCode: string;
}

export interface AddressView {
  id: string;
  asset: string;
  network: string;
  address: string;
  label: string;
  createdAt: string;
  usableAt: string;
}

/** The withdrawal allow-list: adding needs a TOTP code, and a new address cools off before use. */
@ApiTags('customer: security setup')
@ApiBearerAuth()
@UseGuards(BearerGuard)
@Controller('v1/me/addresses')
export class AddressesController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly customers: CustomerRepository,
    private readonly verdicts: VerdictClient,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@CurrentCaller() caller: Caller, @Body() body: CreateAddressDto): Promise<{ id: string; usableAt: string }> {
    await this.customers.ensure(caller.id);
    await this.verdicts.ask({ name: 'verify-account-totp', data: { userId: caller.id, code: body.totpCode } });
    return this.dataSource.transaction(async (m) => {
      const [row] = await m.query(
        `INSERT INTO withdrawal_addresses (user_id, asset, network, address, label, usable_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING id, usable_at`,
        [caller.id, body.asset, body.network, body.address, body.label, this.config.addressCoolingOffMs / 1000],
      );
      await appendAudit(m, { actor: ACTOR, event: 'address_added', userId: caller.id, detail: { addressId: row.id } });
      return { id: row.id, usableAt: row.usable_at.toISOString() };
    });
  }

  @Get()
  async list(@CurrentCaller() caller: Caller): Promise<AddressView[]> {
    const rows = await this.dataSource.query(
      `SELECT id, asset, network, address, label, created_at, usable_at FROM withdrawal_addresses
        WHERE user_id = $1 AND deleted_at IS NULL ORDER BY created_at`,
      [caller.id],
    );
    return rows.map((r: Record<string, never>) => ({
      id: r.id,
      asset: r.asset,
      network: r.network,
      address: r.address,
      label: r.label,
      createdAt: (r.created_at as Date).toISOString(),
      usableAt: (r.usable_at as Date).toISOString(),
    }));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentCaller() caller: Caller, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    const rows = await updateReturning(
      this.dataSource.manager,
      'UPDATE withdrawal_addresses SET deleted_at = now() WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL RETURNING id',
      [id, caller.id],
    );
    if (!rows.length) throw new Problem('not_found');
  }
}
