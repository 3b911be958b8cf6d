import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/**
 * What every repository shares: the app's connection, and the caller's transaction when there is one.
 * Methods that must run inside a transaction (locks, guarded writes) take an EntityManager first;
 * reads take one last and optionally, defaulting to a fresh statement of their own.
 *
 * TypeORM types a raw statement's answer as `any`; the helpers below type it as the rows the statement's
 * column list makes (`T`, the entity-derived types declared beside each repository), so that no `any`
 * leaves this library. They check nothing at run time: `T` must match the SQL's columns and aliases.
 */
export abstract class Repository {
  constructor(@InjectDataSource() protected readonly dataSource: DataSource) {}

  protected db(m?: EntityManager): EntityManager {
    return m ?? this.dataSource.manager;
  }

  /** The rows of a SELECT, or of an INSERT … RETURNING; in `m`'s transaction when given. */
  protected async rows<T>(sql: string, params?: unknown[], m?: EntityManager): Promise<T[]> {
    return this.db(m).query<T[]>(sql, params);
  }

  /** The first row of a SELECT or INSERT … RETURNING, undefined when there is none. */
  protected async row<T>(sql: string, params?: unknown[], m?: EntityManager): Promise<T | undefined> {
    const [first] = await this.rows<T>(sql, params, m);
    return first;
  }

  /**
   * UPDATE or DELETE … RETURNING, and its rows: TypeORM's Postgres driver answers those commands with
   * `[rows, rowCount]` rather than the rows alone, unlike SELECT and INSERT.
   */
  protected async updateReturning<T>(m: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
    const [rows] = await m.query<[T[], number]>(sql, params);
    return rows;
  }
}
