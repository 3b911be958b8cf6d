import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/**
 * What every repository shares: the app's connection, and the caller's transaction when there is one.
 * Methods that must run inside a transaction (locks, guarded writes) take an EntityManager first;
 * reads take one last and optionally, defaulting to a fresh statement of their own.
 */
export abstract class Repository {
  constructor(@InjectDataSource() protected readonly dataSource: DataSource) {}

  protected db(m?: EntityManager): EntityManager {
    return m ?? this.dataSource.manager;
  }
}

/**
 * UPDATE or DELETE … RETURNING, and its rows: TypeORM's Postgres driver answers those commands with
 * `[rows, rowCount]` rather than the rows alone, unlike SELECT and INSERT.
 */
export async function updateReturning<T>(m: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const [rows] = (await m.query(sql, params)) as [T[], number];
  return rows;
}
