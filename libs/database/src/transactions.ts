import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { NewOutboxEntry } from './outbox/outbox.repository';

/** What an open transaction did that someone must hear of once it commits, by its manager. */
interface Consequences {
  /** The withdrawals whose status documents it changed. */
  changedWithdrawals: Set<string>;
  /** Whether it recorded jobs in the outbox. */
  wroteOutbox: boolean;
  /** The jobs it recorded, as recorded: published from memory once it commits. */
  outboxEntries: NewOutboxEntry[];
}

const OPEN = new WeakMap<EntityManager, Consequences>();
/** The withdrawals changed by the commits of the unit of work that asked to hear of them (noteChanges), if any. */
const NOTED = new AsyncLocalStorage<Set<string>>();
const newConsequences = (): Consequences => ({ changedWithdrawals: new Set(), wroteOutbox: false, outboxEntries: [] });

/** Notes that the transaction of `m` changed a withdrawal's status document: told after it commits. */
export function withdrawalChanged(m: EntityManager, withdrawalId: string): void {
  OPEN.get(m)?.changedWithdrawals.add(withdrawalId);
}

/** Notes that the transaction of `m` recorded these jobs in the outbox: the relay hears of them after it commits. */
export function outboxWritten(m: EntityManager, entries: readonly NewOutboxEntry[] = []): void {
  const open = OPEN.get(m);
  if (!open) return;
  open.wroteOutbox = true;
  open.outboxEntries.push(...entries);
}

/** Runs a unit of work in one Postgres transaction; the repositories it calls take its manager. */
@Injectable()
export class Transactions {
  private readonly commitListeners: ((changedWithdrawals: readonly string[]) => void)[] = [];
  private readonly outboxListeners: ((entries: readonly NewOutboxEntry[]) => void)[] = [];

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async run<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    let open: Consequences | undefined;
    const result = await this.dataSource.transaction((m) => {
      open = OPEN.set(m, newConsequences()).get(m);
      return work(m);
    });
    // Only after the commit: a rolled-back change is never announced, and its jobs never existed.
    this.announce(open);
    return result;
  }

  /**
   * Runs `work` of ONE statement, atomic by itself, outside any transaction (no BEGIN, no COMMIT: the
   * statement commits alone), with its consequences announced once it has, as run's are. Two statements in
   * `work` would commit one by one: that is what run is for.
   */
  async alone<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    const m = this.dataSource.createEntityManager();
    const open = OPEN.set(m, newConsequences()).get(m);
    const result = await work(m);
    this.announce(open);
    return result;
  }

  /**
   * Runs `work` (any number of transactions) and returns, with its result, the withdrawals its commits
   * changed: what a caller waiting on it must no longer believe (the API's cached status documents).
   */
  async noteChanges<T>(work: () => Promise<T>): Promise<{ result: T; changed: string[] }> {
    const changed = new Set<string>();
    const result = await NOTED.run(changed, work);
    return { result, changed: [...changed] };
  }

  private announce(open: Consequences | undefined): void {
    if (open?.wroteOutbox) for (const listener of this.outboxListeners) listener(open.outboxEntries);
    if (!open?.changedWithdrawals.size) return;
    const noted = NOTED.getStore();
    for (const id of open.changedWithdrawals) noted?.add(id);
    for (const listener of this.commitListeners) listener([...open.changedWithdrawals]);
  }

  /** Called after every commit that changed withdrawals, with their ids (the change feed's publisher). */
  afterCommit(listener: (changedWithdrawals: readonly string[]) => void): void {
    this.commitListeners.push(listener);
  }

  /**
   * Called after every commit that recorded outbox jobs, with the jobs it recorded (the relay: it publishes
   * them at once instead of at its next sweep, and does nothing for a commit that recorded none).
   */
  afterOutboxCommit(listener: (entries: readonly NewOutboxEntry[]) => void): void {
    this.outboxListeners.push(listener);
  }

  /** One round trip to Postgres: health checks. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
