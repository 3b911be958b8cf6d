import { EntityManager } from 'typeorm';

/**
 * A security change (email or TOTP (re-)enrolment, a new push device) locks the customer's withdrawals
 * for SECURITY_CHANGE_LOCK; a later change never shortens a lock already running.
 */
export async function lockWithdrawalsAfterSecurityChange(m: EntityManager, userId: string, forMs: number): Promise<void> {
  await m.query(
    `UPDATE users SET withdrawals_locked_until =
       greatest(coalesce(withdrawals_locked_until, now()), now() + make_interval(secs => $2)) WHERE id = $1`,
    [userId, forMs / 1000],
  );
}
