/**
 * The stable machine codes of shared/API.md and the HTTP status each answers with: one table, so that a
 * verdict of the confirmation service and an error of the API can only name a code the contract has.
 */
export const PROBLEM_STATUS = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  withdrawals_paused: 503,
  account_frozen: 423,
  factor_not_enrolled: 409,
  security_lock: 423,
  address_not_whitelisted: 422,
  address_cooling_off: 422,
  insufficient_funds: 422,
  idempotency_conflict: 422,
  withdrawal_not_pending: 409,
  invalid_code: 422,
  code_reused: 422,
  too_many_attempts: 423,
  token_invalid: 410,
  match_code_wrong: 422,
  passkey_required: 422,
  passkey_invalid: 422,
  rate_limited: 429,
  verdict_unavailable: 503,
  unavailable: 503,
  internal_error: 500,
} as const;

export type ProblemCode = keyof typeof PROBLEM_STATUS;
