import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Postgres is the truth and Redis a transport that may forget (issue #16):
 * - `challenge_tokens`: every link a challenge was sent with. A re-send after a crash adds a token rather
 *   than replacing the one already in the customer's inbox; the challenge is consumed once, by either.
 * - `withdrawals.handed_off_at`: when the exchange's wallet completed the withdrawal's withdrawals-posted job.
 * - Security-notice pushes may go to the pushes queue (outbox_producers).
 * - Indexes through which the reconciler finds what should be in flight: open withdrawals, postings not yet
 *   handed off, outbox rows by job id.
 */
export class RedisMayForget1764810000000 implements MigrationInterface {
  name = 'RedisMayForget1764810000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE challenge_tokens (
        token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
        challenge_id uuid NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX challenge_tokens_by_challenge ON challenge_tokens (challenge_id);
      INSERT INTO challenge_tokens (token_hash, challenge_id) SELECT token_hash, id FROM challenges WHERE token_hash IS NOT NULL;

      ALTER TABLE withdrawals ADD COLUMN handed_off_at timestamptz;
      CREATE INDEX withdrawals_awaiting_hand_off ON withdrawals (posted_at) WHERE status = 'posted' AND handed_off_at IS NULL;
      CREATE INDEX withdrawals_open ON withdrawals (created_at) WHERE status IN ('pending_confirmation', 'held');
      CREATE INDEX outbox_by_job_id ON outbox (job_id);
    `);
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const specs = appRoleSpecs(db);
    const role = (app: string) => ident(specs.find((s) => s.role === app)!.name);
    await q.query(`GRANT SELECT, INSERT ON challenge_tokens TO ${role('notifier')}`);
    await q.query(`GRANT SELECT ON challenge_tokens TO ${role('api')}, ${role('confirmer')}`);
    await q.query(`GRANT UPDATE (handed_off_at) ON withdrawals TO ${role('confirmer')}`);
    // Security-notice pushes travel on the pushes queue, apart from every email.
    await q.query(`INSERT INTO outbox_producers (app, queue, name) VALUES ('confirmer', 'pushes', 'send-notice-push')`);
  }

  async down(q: QueryRunner): Promise<void> {
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const confirmer = ident(appRoleSpecs(db).find((s) => s.role === 'confirmer')!.name);
    await q.query(`DELETE FROM outbox_producers WHERE queue = 'pushes'`);
    await q.query(`REVOKE UPDATE (handed_off_at) ON withdrawals FROM ${confirmer}`);
    await q.query(`
      DROP INDEX outbox_by_job_id;
      DROP INDEX withdrawals_open;
      DROP INDEX withdrawals_awaiting_hand_off;
      ALTER TABLE withdrawals DROP COLUMN handed_off_at;
      DROP TABLE challenge_tokens;
    `);
  }
}
