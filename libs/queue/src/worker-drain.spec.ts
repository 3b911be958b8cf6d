import { AppConfig } from '@app/config';
import { WorkerHost } from '@nestjs/bullmq';
import { DiscoveryService } from '@nestjs/core';
import { Worker } from 'bullmq';
import { DRAIN_MARGIN_MS, WorkerDrain } from './worker-drain';

/** A worker whose close resolves when `closes` says, and that records a forced close of its connections. */
function fakeWorker(name: string, closes: 'at once' | 'never') {
  const worker = {
    name,
    forceClosed: false,
    close: () => (closes === 'at once' ? Promise.resolve() : new Promise<void>(() => undefined)),
    backend: { close: (force?: boolean) => Promise.resolve(void (worker.forceClosed = force === true)) },
  };
  return worker;
}

function drainOf(workers: ReturnType<typeof fakeWorker>[]): WorkerDrain {
  const hosts = workers.map((w) => Object.assign(Object.create(WorkerHost.prototype) as WorkerHost, { _worker: w as unknown as Worker }));
  const discovery = { getProviders: () => hosts.map((instance) => ({ instance })) } as unknown as DiscoveryService;
  const config = { delivery: { smtpTimeoutMs: 30_000, pushTimeoutMs: 10_000 } } as AppConfig;
  return new WorkerDrain(discovery, config);
}

describe('WorkerDrain', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('waits for workers that close, and closes none by force', async () => {
    const a = fakeWorker('notifications', 'at once');
    await drainOf([a]).beforeApplicationShutdown('SIGTERM');
    expect(a.forceClosed).toBe(false);
  });

  it('gives a worker whose close never resolves the longest send and a margin, then closes its connections by force, and shutdown goes on', async () => {
    const stuck = fakeWorker('pushes', 'never');
    const fine = fakeWorker('challenge-emails', 'at once');
    let done = false;
    const drain = drainOf([stuck, fine])
      .beforeApplicationShutdown('SIGTERM')
      .then(() => (done = true));
    await jest.advanceTimersByTimeAsync(30_000 + DRAIN_MARGIN_MS - 1);
    expect({ done, forceClosed: stuck.forceClosed }).toEqual({ done: false, forceClosed: false });
    await jest.advanceTimersByTimeAsync(1);
    await drain;
    expect({ done, stuck: stuck.forceClosed, fine: fine.forceClosed }).toEqual({ done: true, stuck: true, fine: false });
  });
});
