/** The three independent confirmations every withdrawal needs. */
export const FACTORS = ['email', 'push', 'totp'] as const;
export type Factor = (typeof FACTORS)[number];

/** The factors confirmed by opening a link (a token), as opposed to typing a TOTP code. */
export type TokenFactor = Exclude<Factor, 'totp'>;

export const FACTOR_STATUSES = ['pending', 'approved', 'denied', 'locked', 'expired'] as const;
export type FactorStatus = (typeof FACTOR_STATUSES)[number];

/** What a factor can be decided as; `expired` is only ever set when the withdrawal expires. */
export type FactorDecision = Extract<FactorStatus, 'approved' | 'denied' | 'locked'>;

export type Decision = 'approve' | 'deny';
