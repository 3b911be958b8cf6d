import { AppRole } from '@app/config';
import { QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Runs `create` (a CREATE FUNCTION) and makes the function executable by `role`'s app alone: revoked from
 * PUBLIC, granted to that app's login role (SECURITY INVOKER functions grant nothing of their own).
 */
export async function createAppFunction(q: QueryRunner, role: AppRole, create: string, signature: string): Promise<void> {
  await q.query(`${create}\n      REVOKE EXECUTE ON FUNCTION ${signature} FROM PUBLIC;`);
  const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
  const grantee = ident(appRoleSpecs(db).find((s) => s.role === role)!.name);
  await q.query(`GRANT EXECUTE ON FUNCTION ${signature} TO ${grantee}`);
}
