import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * What a TOTP check reads before it opens a secret: the customer's failures in the sliding window (at most
 * p_limit counted, with the oldest's time) and their newest enrolment in p_status with its sealed secret.
 * A function so that it can follow withdrawal_decision_locks in the statement that takes the locks (one
 * round trip): VOLATILE, its query takes a snapshot of its own when it runs, after the locks were granted,
 * so it sees every failure a concurrent check committed while this one waited for the customer's lock
 * (the calling statement's own snapshot, taken before the wait, would not: the per-customer window could
 * then be overrun by concurrent guesses). SECURITY INVOKER: only the confirmation service, which alone may
 * read sealed secrets, may call it.
 */
export class TotpCheckFacts1765300000000 implements MigrationInterface {
  name = 'TotpCheckFacts1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION totp_check_facts(p_user text, p_status text, p_window_seconds int, p_limit int)
        RETURNS TABLE (failures int, oldest timestamptz, "enrolmentId" uuid, "sealedSecret" text)
        LANGUAGE sql VOLATILE SET search_path = public, pg_temp AS $$
        SELECT f.failures, f.oldest, e.id, e.sealed_secret
          FROM (SELECT count(*)::int AS failures, min(failed_at) AS oldest FROM (
                  SELECT failed_at FROM totp_failures
                   WHERE user_id = p_user AND failed_at > now() - make_interval(secs => p_window_seconds)
                   ORDER BY failed_at DESC LIMIT p_limit) recent) f
          LEFT JOIN LATERAL (SELECT id, sealed_secret FROM totp_enrolments WHERE user_id = p_user AND status = p_status
                              ORDER BY created_at DESC LIMIT 1) e ON true
      $$;
      REVOKE EXECUTE ON FUNCTION totp_check_facts(text, text, int, int) FROM PUBLIC;
      -- A SQL function's query is planned for its parameters, not their values: the partial index on active
      -- enrolments cannot serve "status = p_status", and without this one every check read every enrolment.
      CREATE INDEX totp_enrolments_by_user ON totp_enrolments (user_id, created_at);
    `);
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const confirmer = ident(appRoleSpecs(db).find((s) => s.role === 'confirmer')!.name);
    await q.query(`GRANT EXECUTE ON FUNCTION totp_check_facts(text, text, int, int) TO ${confirmer}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX totp_enrolments_by_user');
    await q.query('DROP FUNCTION totp_check_facts(text, text, int, int)');
  }
}
