import { WithdrawalRepository, WithdrawalView } from '@app/database';
import { formatAmount, WithdrawalStatus } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { Problem } from '../http/problem';
import { OperatorWithdrawalView, Page, WithdrawalStatusDocument } from './withdrawal.dto';

/** The status document, built only for the withdrawal's owner; operators get theirs without the match code. */
@Injectable()
export class WithdrawalStatusService {
  constructor(private readonly withdrawals: WithdrawalRepository) {}

  /** Another customer's withdrawal is not found, never forbidden. */
  async forOwner(userId: string, id: string): Promise<WithdrawalStatusDocument> {
    const view = await this.withdrawals.view(id, userId);
    if (!view) throw new Problem('not_found');
    return document(view);
  }

  /** The owner's document of a withdrawal already read (a request answers with the one it just made). */
  documentOf(view: WithdrawalView): WithdrawalStatusDocument {
    return document(view);
  }

  async forOperator(id: string): Promise<OperatorWithdrawalView> {
    const view = await this.withdrawals.view(id);
    if (!view) throw new Problem('not_found');
    return operatorDocument(view);
  }

  async list(
    userId: string,
    status: WithdrawalStatus | undefined,
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<WithdrawalStatusDocument>> {
    return this.page({ ownerId: userId, status }, cursor, limit, document);
  }

  async listForOperators(status: WithdrawalStatus, cursor: string | undefined, limit: number): Promise<Page<OperatorWithdrawalView>> {
    return this.page({ status }, cursor, limit, operatorDocument);
  }

  private async page<T>(
    filter: { ownerId?: string; status?: WithdrawalStatus },
    cursor: string | undefined,
    limit: number,
    toDocument: (view: WithdrawalView) => T,
  ): Promise<Page<T>> {
    const rows = await this.withdrawals.page({ ...filter, after: cursor ? decodeCursor(cursor) : undefined }, limit);
    const kept = rows.slice(0, limit);
    const last = kept[kept.length - 1];
    return { items: kept.map(toDocument), nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
  }
}

function document(v: WithdrawalView): WithdrawalStatusDocument {
  return {
    id: v.id,
    status: v.status,
    asset: v.asset,
    network: v.network,
    amount: formatAmount(v.amount),
    fee: formatAmount(v.fee),
    address: v.address,
    factors: v.factors,
    matchCode: v.matchCode,
    createdAt: v.createdAt.toISOString(),
    expiresAt: v.expiresAt.toISOString(),
    postedAt: v.postedAt ? v.postedAt.toISOString() : null,
    reason: v.reason ?? null,
  };
}

function operatorDocument(v: WithdrawalView): OperatorWithdrawalView {
  const { matchCode: _ownersOnly, ...doc } = document(v);
  return { ...doc, userId: v.userId, handedOffAt: v.handedOffAt ? v.handedOffAt.toISOString() : null };
}

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    parsed = undefined;
  }
  const [createdAt, id] = Array.isArray(parsed) ? (parsed as unknown[]) : [];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || Number.isNaN(Date.parse(createdAt)) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new Problem('validation_failed', 'cursor is not one this API issued');
  }
  return { createdAt, id };
}
