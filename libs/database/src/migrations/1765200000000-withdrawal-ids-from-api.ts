import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The API names a new withdrawal's id itself (a random UUID), so that the request's jobs, audit entry and
 * risk keys, which carry the id, ride in the one statement that inserts the withdrawal and places its hold
 * (WithdrawalRepository.request). An id names a row and grants nothing: the API could already insert
 * withdrawals, and a chosen id can neither collide with another (the primary key) nor approve or post one.
 */
export class WithdrawalIdsFromApi1765200000000 implements MigrationInterface {
  name = 'WithdrawalIdsFromApi1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`GRANT INSERT (id) ON withdrawals TO ${await this.api(q)}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`REVOKE INSERT (id) ON withdrawals FROM ${await this.api(q)}`);
  }

  private async api(q: QueryRunner): Promise<string> {
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    return ident(appRoleSpecs(db).find((s) => s.role === 'api')!.name);
  }
}
