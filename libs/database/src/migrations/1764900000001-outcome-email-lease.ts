import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Outcome emails leave with no transaction open: their key in sent_notifications is leased (leased_until)
 * while the message is sent and marked sent after (sent_at, now set then). Keys claimed the old way, in
 * the sending transaction, keep sent_at's default and mean what they meant.
 */
export class OutcomeEmailLease1764900000001 implements MigrationInterface {
  name = 'OutcomeEmailLease1764900000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE sent_notifications ALTER COLUMN sent_at DROP NOT NULL, ADD COLUMN leased_until timestamptz;
    `);
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const notifier = ident(appRoleSpecs(db).find((s) => s.role === 'notifier')!.name);
    await q.query(`GRANT UPDATE (sent_at, leased_until) ON sent_notifications TO ${notifier}`);
  }

  async down(q: QueryRunner): Promise<void> {
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const notifier = ident(appRoleSpecs(db).find((s) => s.role === 'notifier')!.name);
    await q.query(`REVOKE UPDATE (sent_at, leased_until) ON sent_notifications FROM ${notifier}`);
    await q.query(`
      -- A lease that never became a send: the message was not sent, so the key is free again.
      DELETE FROM sent_notifications WHERE sent_at IS NULL;
      ALTER TABLE sent_notifications DROP COLUMN leased_until, ALTER COLUMN sent_at SET NOT NULL;
    `);
  }
}
