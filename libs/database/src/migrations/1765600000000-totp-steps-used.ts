import { MigrationInterface, QueryRunner } from 'typeorm';
import { createAppFunction } from './app-function';

/**
 * The customer's TOTP steps used from p_from on: what a withdrawal's TOTP check reads in the statement
 * that takes the decision's locks, so that a code found unused there is consumed by the decision's own
 * statement (one round trip fewer) and a reused one is refused without writing. VOLATILE for the reason
 * totp_check_facts is (1765300000000): its query takes its snapshot after the customer's lock was granted,
 * so it sees a step a concurrent check consumed while this one waited. SECURITY INVOKER, the confirmation
 * service's alone.
 */
export class TotpStepsUsed1765600000000 implements MigrationInterface {
  name = 'TotpStepsUsed1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await createAppFunction(
      q,
      'confirmer',
      `CREATE FUNCTION totp_steps_used(p_user text, p_from bigint) RETURNS bigint[]
        LANGUAGE sql VOLATILE SET search_path = public, pg_temp AS $$
        SELECT coalesce(array_agg(step ORDER BY step), '{}') FROM totp_used_steps WHERE user_id = p_user AND step >= p_from
      $$;`,
      'totp_steps_used(text, bigint)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION totp_steps_used(text, bigint)');
  }
}
