import { AppConfig } from '@app/config';
import { AuditRepository, NewOutboxEntry, OutboxRepository, PendingOutboxEntry, Transactions } from '@app/database';
import { Queue } from 'bullmq';
import { EntityManager } from 'typeorm';
import { MARK_AFTER_MS, OutboxRelay, PUBLISH_TIMEOUT_MS } from './outbox-relay';

/**
 * A queue whose connection is parked while reconnecting never answers `add` (its commands wait for a Redis
 * that the connection will not reach). The relay must give the pass up, not hold it, its rows' locks and
 * the app's shutdown for good, and must not count it against the row (that would set good jobs aside).
 */
const config = { delivery: { retryBaseMs: 1000, retryCapMs: 60_000 } } as AppConfig;

describe('OutboxRelay with a publish that never answers', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('gives the pass up after the publish timeout, marks nothing published and records no failure against the row', async () => {
    const row = {
      id: '1',
      queue: 'notifications',
      name: 'send-outcome-email',
      jobId: 'outcome-w',
      data: {},
      runAt: null,
    } as unknown as PendingOutboxEntry;
    const calls: string[] = [];
    const outbox = {
      lockUnpublished: () => Promise.resolve([row]),
      markPublished: () => Promise.resolve(void calls.push('markPublished')),
      recordFailure: () => Promise.resolve(Boolean(calls.push('recordFailure'))),
    } as unknown as OutboxRepository;
    const transactions = {
      run: <T>(work: (m: EntityManager) => Promise<T>) => work({} as EntityManager),
      afterOutboxCommit: () => undefined,
    } as unknown as Transactions;
    const parked = { add: () => new Promise(() => undefined), on: () => undefined } as unknown as Queue;
    const relay = new OutboxRelay(config, transactions, outbox, {} as AuditRepository, parked, parked, parked, parked, parked);

    let settled: number | undefined;
    const pass = relay.drain().then((n) => (settled = n));
    await jest.advanceTimersByTimeAsync(PUBLISH_TIMEOUT_MS - 1);
    expect(settled).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    await pass;
    expect({ settled, calls }).toEqual({ settled: 0, calls: [] });
  });
});

/** The jobs of commits a moment apart are marked published by one statement, not one each. */
describe('OutboxRelay marking the jobs it published from memory', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('marks the jobs of every commit within MARK_AFTER_MS in one statement, and a later one in the next', async () => {
    let committed: (entries: NewOutboxEntry[]) => void = () => undefined;
    const marks: string[][] = [];
    const outbox = {
      markPublishedJobs: (jobs: { jobId: string }[]) => Promise.resolve(void marks.push(jobs.map((j) => j.jobId))),
    } as unknown as OutboxRepository;
    const transactions = {
      afterOutboxCommit: (listener: typeof committed) => (committed = listener),
    } as unknown as Transactions;
    const answers = { add: () => Promise.resolve(), on: () => undefined } as unknown as Queue;
    new OutboxRelay(config, transactions, outbox, {} as AuditRepository, answers, answers, answers, answers, answers);
    const job = (jobId: string): NewOutboxEntry => ({ queue: 'notifications', name: 'send-outcome-email', jobId, data: {} });

    committed([job('a')]);
    await jest.advanceTimersByTimeAsync(MARK_AFTER_MS / 2);
    committed([job('b'), job('c')]);
    await jest.advanceTimersByTimeAsync(MARK_AFTER_MS / 2);
    expect(marks).toEqual([['a', 'b', 'c']]);
    committed([job('d')]);
    await jest.advanceTimersByTimeAsync(MARK_AFTER_MS);
    expect(marks).toEqual([['a', 'b', 'c'], ['d']]);
  });
});
