import { WithdrawalForMessage, WithdrawalRepository } from '@app/database';
import { formatAmount, isOpen } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/** A withdrawal as a message shows it, with where its owner is reached. */
export interface WithdrawalMessageFacts extends Omit<WithdrawalForMessage, 'antiPhishingCode'> {
  /** The customer's anti-phishing code, shown in every message about the withdrawal. */
  antiPhishingCode?: string;
}

/** What a message about a withdrawal shows, read fresh from Postgres for every delivery. */
@Injectable()
export class WithdrawalReader {
  constructor(private readonly withdrawals: WithdrawalRepository) {}

  /** One statement: the withdrawal, its owner's address and anti-phishing code. */
  async read(m: EntityManager | undefined, withdrawalId: string): Promise<WithdrawalMessageFacts | undefined> {
    const w = await this.withdrawals.forMessage(m, withdrawalId);
    if (!w) return undefined;
    return { ...w, amount: formatAmount(w.amount), antiPhishingCode: w.antiPhishingCode ?? undefined };
  }

  /** Still collecting confirmations: awaiting them, or held for review (a held withdrawal collects them too). */
  isOpen(w: WithdrawalMessageFacts): boolean {
    return isOpen(w.status) && w.expiresAt.getTime() > Date.now();
  }
}
