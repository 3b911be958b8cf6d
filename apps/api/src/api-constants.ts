/** The API's own constants, in one place. */

/** How long an email verification link works. */
export const EMAIL_VERIFICATION_VALID_MS = 24 * 3600 * 1000;

/** Page sizes: a customer's withdrawals, the operators' review queue, the audit log. */
export const CUSTOMER_PAGE_SIZE = 50;
export const OPERATOR_PAGE_SIZE = 100;
export const AUDIT_PAGE_SIZE = 100;

/** Largest request body accepted, in bytes. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** Longest path parameter (encoded): a customer id of 255 characters, each up to 12 characters percent-encoded. */
export const MAX_PARAM_LENGTH = 255 * 12;
