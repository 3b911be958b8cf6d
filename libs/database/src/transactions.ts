import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/** Runs a unit of work in one Postgres transaction; the repositories it calls take its manager. */
@Injectable()
export class Transactions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  run<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** One round trip to Postgres: health checks. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
