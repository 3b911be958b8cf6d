import { Factor, FACTORS, FactorStatus } from './factor';
import { EndReason, isOpen, WithdrawalStatus } from './withdrawal-status';

/** What the confirmation service knows of a withdrawal, read under its locks, when it decides. */
export interface SettlementFacts {
  status: WithdrawalStatus;
  /** The confirmation window has passed. */
  expired: boolean;
  /** Each factor's status, and whether its approval was given for the withdrawal's current digest. */
  factors: Record<Factor, { status: FactorStatus; boundToCurrentDigest: boolean }>;
  /** "This wasn't me", or an operator: the account posts nothing. */
  accountFrozen: boolean;
  /** The operators' (or the automatic) global pause: nothing posts until resumed. */
  paused: boolean;
}

export type Settlement =
  /** Already final: nothing may change it. */
  | { action: 'none' }
  /** Open, and stays so until more confirmations, an operator's release, or the end of a pause. */
  | { action: 'wait'; until: 'confirmations' | 'release' | 'resume' }
  /** Three of three, bound to the current details: post the hold. */
  | { action: 'post' }
  /** End it and release its hold. */
  | { action: 'end'; status: 'denied' | 'expired'; reason: EndReason };

const end = (status: 'denied' | 'expired', reason: EndReason): Settlement => ({ action: 'end', status, reason });

/**
 * The confirmation rules as one decision (DESIGN.md invariants 1 and 7): deny wins, any doubt fails
 * closed, and a withdrawal posts only with all three factors approved for exactly its current details,
 * before it expires, on an account that is not frozen, neither held nor paused.
 */
export function settle(facts: SettlementFacts): Settlement {
  if (!isOpen(facts.status)) return { action: 'none' };
  if (facts.expired) return end('expired', 'confirmation_window_passed');
  const statuses = FACTORS.map((factor) => facts.factors[factor].status);
  if (statuses.includes('locked')) return end('denied', 'totp_locked');
  if (statuses.includes('denied')) return end('denied', 'denied_by_customer');
  if (!statuses.every((s) => s === 'approved')) return { action: 'wait', until: 'confirmations' };
  // An approval given for other details is void: the withdrawal as it stands was never confirmed.
  if (!FACTORS.every((factor) => facts.factors[factor].boundToCurrentDigest)) return end('denied', 'details_changed');
  // A frozen account posts nothing, not even what was already in flight.
  if (facts.accountFrozen) return end('denied', 'account_frozen');
  if (facts.status === 'held') return { action: 'wait', until: 'release' };
  if (facts.paused) return { action: 'wait', until: 'resume' };
  return { action: 'post' };
}
