import { CustomerRepository, WithdrawalForMessage, WithdrawalRepository } from '@app/database';
import { formatAmount } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/** A withdrawal as a message shows it, with where its owner is reached. */
export interface WithdrawalMessageFacts extends WithdrawalForMessage {
  email: string | null;
  emailVerified: boolean;
}

/** What a message about a withdrawal shows, read fresh from Postgres for every delivery. */
@Injectable()
export class WithdrawalReader {
  constructor(
    private readonly withdrawals: WithdrawalRepository,
    private readonly customers: CustomerRepository,
  ) {}

  async read(m: EntityManager, withdrawalId: string): Promise<WithdrawalMessageFacts | undefined> {
    const w = await this.withdrawals.forMessage(m, withdrawalId);
    if (!w) return undefined;
    const owner = await this.customers.find(w.userId, m);
    return { ...w, amount: formatAmount(w.amount), email: owner?.email ?? null, emailVerified: owner?.emailVerifiedAt != null };
  }

  isOpen(w: WithdrawalMessageFacts): boolean {
    return w.status === 'pending_confirmation' && w.expiresAt.getTime() > Date.now();
  }
}
