import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';

/** The operators' global kill switch: one row, present while withdrawals are paused. */
export class WithdrawalPause1763900000003 implements MigrationInterface {
  name = 'WithdrawalPause1763900000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE withdrawal_pause (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        paused_at timestamptz NOT NULL DEFAULT now(),
        paused_by text NOT NULL,
        reason text NOT NULL
      )`);
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    for (const spec of appRoleSpecs(db)) {
      const grant = spec.role === 'api' ? 'SELECT, INSERT, UPDATE, DELETE' : 'SELECT';
      await q.query(`GRANT ${grant} ON withdrawal_pause TO "${spec.name.replace(/"/g, '""')}"`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE withdrawal_pause');
  }
}
