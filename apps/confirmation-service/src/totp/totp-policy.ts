/** Failure limits of DESIGN.md: per withdrawal, then per customer over a sliding window. */
export const TOTP_FAILURES_PER_WITHDRAWAL = 5;
export const TOTP_FAILURES_PER_USER = 10;
export const TOTP_FAILURE_WINDOW_SECONDS = 15 * 60;
