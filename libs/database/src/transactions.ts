import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/** The withdrawals each open transaction changed (what their owners see of them), by its manager. */
const CHANGED_WITHDRAWALS = new WeakMap<EntityManager, Set<string>>();

/** Notes that the transaction of `m` changed a withdrawal's status document: told after it commits. */
export function withdrawalChanged(m: EntityManager, withdrawalId: string): void {
  CHANGED_WITHDRAWALS.get(m)?.add(withdrawalId);
}

/** Runs a unit of work in one Postgres transaction; the repositories it calls take its manager. */
@Injectable()
export class Transactions {
  private readonly commitListeners: ((changedWithdrawals: readonly string[]) => void)[] = [];

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async run<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    let changed: Set<string> | undefined;
    const result = await this.dataSource.transaction((m) => {
      changed = new Set();
      CHANGED_WITHDRAWALS.set(m, changed);
      return work(m);
    });
    // Only after the commit: a rolled-back change is never announced.
    if (changed?.size) for (const listener of this.commitListeners) listener([...changed]);
    return result;
  }

  /** Called after every commit that changed withdrawals, with their ids (the change feed's publisher). */
  afterCommit(listener: (changedWithdrawals: readonly string[]) => void): void {
    this.commitListeners.push(listener);
  }

  /** One round trip to Postgres: health checks. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
