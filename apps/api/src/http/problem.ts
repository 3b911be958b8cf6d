import { PROBLEM_STATUS, ProblemCode } from '@app/domain';
import { HttpException } from '@nestjs/common';

const TITLES: Record<ProblemCode, string> = {
  validation_failed: 'The request is not valid',
  unauthorized: 'Authentication required',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  withdrawals_paused: 'Withdrawals are paused',
  account_frozen: 'Withdrawals are frozen on this account',
  factor_not_enrolled: 'A confirmation factor is not set up',
  security_lock: 'Withdrawals are locked after a recent security change',
  address_not_whitelisted: 'The address is not on the withdrawal list',
  address_cooling_off: 'The address is not usable yet',
  insufficient_funds: 'Insufficient funds',
  idempotency_conflict: 'The Idempotency-Key was used for another request',
  withdrawal_not_pending: 'The withdrawal is no longer awaiting confirmation',
  invalid_code: 'The code is not valid',
  code_reused: 'The code was already used',
  too_many_attempts: 'Too many attempts',
  token_invalid: 'The link is not valid',
  match_code_wrong: 'That is not the code shown in your app',
  passkey_required: 'This approval needs your passkey',
  passkey_invalid: 'The passkey approval could not be verified',
  rate_limited: 'Too many requests',
  verdict_unavailable: 'The confirmation service did not answer in time',
  unavailable: 'Temporarily unavailable',
  internal_error: 'Internal error',
};

/** An RFC 9457 problem with a stable `code` (shared/API.md). Details never carry secrets. */
export class Problem extends HttpException {
  constructor(
    readonly code: ProblemCode,
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
    /** Where the contract gives one code two statuses (factor_not_enrolled is 403 for PASSKEY_REQUIRED_ABOVE). */
    status: number = PROBLEM_STATUS[code],
  ) {
    super(TITLES[code], status);
  }

  body(instance?: string) {
    return {
      type: `https://countersign.dev/problems/${this.code.replace(/_/g, '-')}`,
      title: TITLES[this.code],
      status: this.getStatus(),
      detail: this.detail ?? TITLES[this.code],
      code: this.code,
      ...(instance ? { instance } : {}),
    };
  }
}
