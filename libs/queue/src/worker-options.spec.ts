import { challengeJobOptions } from './job-options';
import { cappedBackoff } from './worker-options';

describe('cappedBackoff', () => {
  const job = (baseMs: number, capMs: number) => ({
    opts: challengeJobOptions({
      delivery: { retryBaseMs: baseMs, retryCapMs: capMs, pushTimeoutMs: 1, smtpTimeoutMs: 1, emailConcurrency: 1, pushConcurrency: 1 },
    }),
  });
  const delays = (baseMs: number, capMs: number, attempts: number[]) =>
    attempts.map((n) => cappedBackoff(n, 'capped-exponential', new Error('refused'), job(baseMs, capMs) as never));

  it('doubles from the base and never waits longer than the cap, however many attempts came before', () => {
    expect(delays(1000, 60_000, [1, 2, 3, 6, 7, 8, 50, 5000])).toEqual([1000, 2000, 4000, 32_000, 60_000, 60_000, 60_000, 60_000]);
    expect(delays(100, 400, [1, 2, 3, 4, 1_000_000])).toEqual([100, 200, 400, 400, 400]);
  });

  it('gives a challenge no fixed number of attempts to give up after', () => {
    expect(job(1000, 60_000).opts.attempts).toBeGreaterThanOrEqual(1_000_000_000);
  });

  it('refuses a backoff type it does not know rather than guessing', () => {
    expect(() => cappedBackoff(1, 'linear', new Error('x'), job(1, 1) as never)).toThrow(/unknown backoff strategy/);
  });
});
