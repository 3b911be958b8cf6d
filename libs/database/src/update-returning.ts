import { EntityManager } from 'typeorm';

/**
 * Runs an UPDATE or DELETE … RETURNING and gives its rows. TypeORM's Postgres driver answers those
 * commands with `[rows, rowCount]` rather than the rows alone, unlike SELECT and INSERT.
 */
export async function updateReturning<T = Record<string, any>>(m: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  if (!/^\s*(UPDATE|DELETE)\b/i.test(sql)) throw new Error('updateReturning is for UPDATE and DELETE statements');
  const [rows] = (await m.query(sql, params)) as [T[], number];
  return rows;
}
