import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

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
    await q.query(`
      CREATE FUNCTION totp_steps_used(p_user text, p_from bigint) RETURNS bigint[]
        LANGUAGE sql VOLATILE SET search_path = public, pg_temp AS $$
        SELECT coalesce(array_agg(step ORDER BY step), '{}') FROM totp_used_steps WHERE user_id = p_user AND step >= p_from
      $$;
      REVOKE EXECUTE ON FUNCTION totp_steps_used(text, bigint) FROM PUBLIC;
    `);
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const confirmer = ident(appRoleSpecs(db).find((s) => s.role === 'confirmer')!.name);
    await q.query(`GRANT EXECUTE ON FUNCTION totp_steps_used(text, bigint) TO ${confirmer}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION totp_steps_used(text, bigint)');
  }
}
