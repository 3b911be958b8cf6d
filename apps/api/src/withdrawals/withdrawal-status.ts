import { formatAmount } from '@app/ledger';
import { Factor } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiProperty } from '@nestjs/swagger';
import { DataSource, EntityManager } from 'typeorm';

export class WithdrawalStatusDocument {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['pending_confirmation', 'held', 'posted', 'denied', 'expired', 'cancelled', 'rejected'] }) status: string;
  @ApiProperty({ example: 'BTC' }) asset: string;
  @ApiProperty({ example: 'bitcoin' }) network: string;
  @ApiProperty({ example: '0.015' }) amount: string;
  @ApiProperty({ example: '0' }) fee: string;
  @ApiProperty() address: string;
  @ApiProperty({ example: { email: 'pending', push: 'approved', totp: 'pending' } }) factors: Record<Factor, string>;
  @ApiProperty({ example: '47', description: 'shown to the owner only: pick it on the email and push pages' }) matchCode: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() expiresAt: string;
  @ApiProperty({ nullable: true, type: String }) postedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
}

/** What operators see: the owner, and no match code (it is the owner's alone). */
export type OperatorWithdrawalView = Omit<WithdrawalStatusDocument, 'matchCode'> & { userId: string };

const SELECT = `
  SELECT w.id, w.user_id, w.status, w.asset, w.network, w.amount::text AS amount, w.fee::text AS fee, w.address,
         w.match_code, w.created_at, w.expires_at, w.posted_at, w.reason,
         (SELECT json_object_agg(f.factor, f.status) FROM withdrawal_factors f WHERE f.withdrawal_id = w.id) AS factors
    FROM withdrawals w`;

type Row = Record<string, unknown> & { id: string; created_at: Date; expires_at: Date; posted_at: Date | null };

/** The status document frontends poll. Only ever built for the withdrawal's owner. */
@Injectable()
export class WithdrawalStatusReader {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async forOwner(userId: string, id: string, m: EntityManager = this.dataSource.manager): Promise<WithdrawalStatusDocument | undefined> {
    const [row] = await m.query(`${SELECT} WHERE w.id = $1 AND w.user_id = $2`, [id, userId]);
    return row ? this.document(row) : undefined;
  }

  /** For operators: any customer's, with the owner's id; the match code is left out. */
  async forOperator(id: string): Promise<OperatorWithdrawalView | undefined> {
    const [row] = await this.dataSource.query(`${SELECT} WHERE w.id = $1`, [id]);
    return row ? this.operatorDocument(row) : undefined;
  }

  /** Newest first, keyset-paginated by (created_at, id). */
  async list(userId: string, status: string | undefined, cursor: string | undefined, limit: number) {
    const page = await this.page('w.user_id = $1', userId, status, cursor, limit);
    return { items: page.rows.map((r) => this.document(r)), nextCursor: page.nextCursor };
  }

  async listForOperators(status: string, cursor: string | undefined, limit: number) {
    const page = await this.page('$1::text IS NULL', null, status, cursor, limit);
    return { items: page.rows.map((r) => this.operatorDocument(r)), nextCursor: page.nextCursor };
  }

  private async page(scope: string, scopeValue: string | null, status: string | undefined, cursor: string | undefined, limit: number) {
    const after = cursor ? decodeCursor(cursor) : undefined;
    const rows: Row[] = await this.dataSource.query(
      `${SELECT} WHERE ${scope} AND ($2::text IS NULL OR w.status = $2)
         AND ($3::timestamptz IS NULL OR (w.created_at, w.id) < ($3::timestamptz, $4::uuid))
       ORDER BY w.created_at DESC, w.id DESC LIMIT $5`,
      [scopeValue, status ?? null, after?.createdAt ?? null, after?.id ?? null, limit + 1],
    );
    const kept = rows.slice(0, limit);
    const last = kept[kept.length - 1];
    return { rows: kept, nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null };
  }

  private operatorDocument(r: Row): OperatorWithdrawalView {
    const { matchCode: _hidden, ...doc } = this.document(r);
    return { ...doc, userId: r.user_id as string };
  }

  private document(r: Row): WithdrawalStatusDocument {
    return {
      id: r.id,
      status: r.status as string,
      asset: r.asset as string,
      network: r.network as string,
      amount: formatAmount(r.amount as string),
      fee: formatAmount(r.fee as string),
      address: r.address as string,
      factors: r.factors as Record<Factor, string>,
      matchCode: r.match_code as string,
      createdAt: r.created_at.toISOString(),
      expiresAt: r.expires_at.toISOString(),
      postedAt: r.posted_at ? r.posted_at.toISOString() : null,
      reason: (r.reason as string | null) ?? null,
    };
  }
}

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

export class BadCursor extends Error {}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string];
    if (Number.isNaN(Date.parse(createdAt)) || !/^[0-9a-f-]{36}$/.test(id)) throw new BadCursor();
    return { createdAt, id };
  } catch {
    throw new BadCursor('cursor is not one this API issued');
  }
}
