import { DataSource } from 'typeorm';
import { runOperatorCommand } from './ledger-checks';

/** `npm run audit:verify` as operators run it. */
export const runAuditVerify = (env: Record<string, string>) => runOperatorCommand('audit:verify', env);

/**
 * Runs `work` as a superuser who goes around every trigger (session_replication_role = replica): the
 * append-only guards and the chaining trigger do not fire — what an attacker holding the database's
 * superuser could do, and what the hash chain must show afterwards.
 */
export async function asSuperuserAroundTriggers<T>(
  admin: DataSource,
  work: (query: (sql: string, params?: unknown[]) => Promise<unknown[]>) => Promise<T>,
): Promise<T> {
  const runner = admin.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    await runner.query('SET LOCAL session_replication_role = replica');
    const result = await work(async (sql, params) => (await runner.query(sql, params)) as unknown[]);
    await runner.commitTransaction();
    return result;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
}
