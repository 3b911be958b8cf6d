import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The request id of the request that created a withdrawal (X-Request-Id or generated): the confirmation
 * service logs and publishes the withdrawal's outcome under it, so one id follows a withdrawal through
 * the three apps' logs. Set by the API at creation only.
 */
export class WithdrawalRequestIds1764820000000 implements MigrationInterface {
  name = 'WithdrawalRequestIds1764820000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE withdrawals ADD COLUMN request_id text CHECK (request_id ~ '^[A-Za-z0-9._:-]{8,64}$')`);
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const api = ident(appRoleSpecs(db).find((s) => s.role === 'api')!.name);
    await q.query(`GRANT INSERT (request_id) ON withdrawals TO ${api}`);
  }

  async down(q: QueryRunner): Promise<void> {
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const api = ident(appRoleSpecs(db).find((s) => s.role === 'api')!.name);
    await q.query(`REVOKE INSERT (request_id) ON withdrawals FROM ${api}`);
    await q.query('ALTER TABLE withdrawals DROP COLUMN request_id');
  }
}
