import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';

/** A delivery claim on each challenge, so that duplicate jobs never send a second message for one device. */
export class ChallengeClaims1763900000004 implements MigrationInterface {
  name = 'ChallengeClaims1763900000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE challenges ADD COLUMN claimed_at timestamptz');
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const notifier = appRoleSpecs(db).find((s) => s.role === 'notifier')!;
    await q.query(`GRANT UPDATE (claimed_at) ON challenges TO "${notifier.name.replace(/"/g, '""')}"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE challenges DROP COLUMN claimed_at');
  }
}
