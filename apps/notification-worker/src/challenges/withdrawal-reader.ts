import { WithdrawalForMessage, WithdrawalRepository } from '@app/database';
import { formatAmount } from '@app/domain';
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
    return w && this.facts(w);
  }

  /** The row as messages show it (the amount formatted), read here or by a statement that delivers the message. */
  facts(w: WithdrawalForMessage): WithdrawalMessageFacts {
    return { ...w, amount: formatAmount(w.amount), antiPhishingCode: w.antiPhishingCode ?? undefined };
  }
}
