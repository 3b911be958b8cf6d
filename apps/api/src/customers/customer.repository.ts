import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface CustomerRow {
  id: string;
  email: string | null;
  email_verified_at: Date | null;
  withdrawals_frozen_at: Date | null;
  withdrawals_locked_until: Date | null;
}

/** Customers are the exchange's: a row appears the first time one of its tokens is seen. */
@Injectable()
export class CustomerRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async ensure(id: string, m: EntityManager = this.dataSource.manager): Promise<CustomerRow> {
    await m.query('INSERT INTO users (id) VALUES ($1) ON CONFLICT DO NOTHING', [id]);
    const [row] = await m.query(
      'SELECT id, email, email_verified_at, withdrawals_frozen_at, withdrawals_locked_until FROM users WHERE id = $1',
      [id],
    );
    return row;
  }
}
