import {
  CustomerRepository,
  DecisionLocks,
  FactorState,
  TokenChallenge,
  TotpCheckFacts,
  TotpEnrolmentStatus,
  WithdrawalRepository,
  WithdrawalRow,
} from '@app/database';
import { Factor } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/** A withdrawal read under its owner's and its own row lock, with whether the owner's account is frozen. */
export type LockedWithdrawal = WithdrawalRow & { readonly accountFrozen: boolean };

/**
 * Row locks in one fixed order — customer, then withdrawal, then its factors and challenges — so that
 * concurrent verdicts on one customer serialise and never deadlock. Counters read under these locks
 * cannot be raced past.
 */
@Injectable()
export class WithdrawalLocks {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly withdrawals: WithdrawalRepository,
  ) {}

  /** Locks the customer and then the withdrawal; with `ownerId`, another customer's withdrawal is not found. */
  async lockWithdrawal(m: EntityManager, id: string, ownerId?: string): Promise<LockedWithdrawal | undefined> {
    const customer = await this.customers.lockOwnerOfWithdrawal(m, id, ownerId);
    if (!customer) return undefined;
    const row = await this.withdrawals.lockRow(m, id);
    return row ? { ...row, accountFrozen: customer.withdrawalsFrozenAt !== null } : undefined;
  }

  /** What a confirmation decides on, in one round trip: the withdrawal found by id (and owner), locked in the same order with its factors. */
  lockForDecision(m: EntityManager, by: { withdrawalId: string; ownerId?: string }): Promise<DecisionLocks | undefined> {
    return this.withdrawals.lockForDecision(m, by);
  }

  /** The same, then what a TOTP check reads first (the owner's recent failures, enrolment and used steps), read once the locks are held. */
  lockForTotpDecision(
    m: EntityManager,
    by: { withdrawalId: string; ownerId: string },
    check: { status: TotpEnrolmentStatus; windowSeconds: number; limit: number; stepsUsedFrom: number },
  ): Promise<(DecisionLocks & { totp: TotpCheckFacts; usedSteps: number[] }) | undefined> {
    return this.withdrawals.lockForTotpDecision(m, by, check);
  }

  /** The same, found by a challenge token's hash, with the token's challenge locked last and how many passkeys may approve it. */
  lockForTokenDecision(m: EntityManager, tokenHash: Buffer): Promise<(DecisionLocks & { challenge: TokenChallenge; passkeys: number }) | undefined> {
    return this.withdrawals.lockForTokenDecision(m, tokenHash);
  }

  lockFactors(m: EntityManager, id: string): Promise<Record<Factor, FactorState>> {
    return this.withdrawals.lockFactors(m, id);
  }
}
