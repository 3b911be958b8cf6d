/** A withdrawal's life cycle (DESIGN.md): open while pending or held, then one final status for good. */
export const WITHDRAWAL_STATUSES = ['pending_confirmation', 'held', 'posted', 'denied', 'expired', 'cancelled', 'rejected'] as const;
export type WithdrawalStatus = (typeof WITHDRAWAL_STATUSES)[number];

export const OPEN_STATUSES = ['pending_confirmation', 'held'] as const satisfies readonly WithdrawalStatus[];
export type OpenStatus = (typeof OPEN_STATUSES)[number];

/** How an open withdrawal can end without being posted; its hold is released. */
export type EndStatus = Exclude<WithdrawalStatus, OpenStatus | 'posted'>;
export type FinalStatus = EndStatus | 'posted';

export function isOpen(status: WithdrawalStatus): status is OpenStatus {
  return (OPEN_STATUSES as readonly WithdrawalStatus[]).includes(status);
}

/** Why a withdrawal ended, when the system ended it (an operator's rejection carries the operator's words). */
export type EndReason =
  | 'confirmation_window_passed'
  | 'denied_by_customer'
  | 'totp_locked'
  | 'details_changed'
  | 'account_frozen'
  | 'cancelled_by_customer'
  | 'totp_revoked'
  /** A factor or address of the customer changed after it was requested. */
  | 'security_change'
  /** Above PASSKEY_REQUIRED_ABOVE, and its push factor was not approved with a passkey. */
  | 'passkey_required';
