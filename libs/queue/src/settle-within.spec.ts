import { settleWithin } from './settle-within';

describe('settleWithin', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('gives the work its outcome when it settles in time, and leaves no timer behind', async () => {
    expect(await settleWithin(Promise.resolve('done'), 1000, () => 'late')).toBe('done');
    await expect(settleWithin(Promise.reject(new Error('refused')), 1000, () => 'late')).rejects.toThrow('refused');
    expect(jest.getTimerCount()).toBe(0);
  });

  it("gives late()'s value, or its rejection, once the time is up and not a moment before", async () => {
    const never = new Promise<string>(() => undefined);
    let outcome: string | undefined;
    const waiting = settleWithin(never, 1000, () => 'late').then((o) => (outcome = o));
    await jest.advanceTimersByTimeAsync(999);
    expect(outcome).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    await waiting;
    expect(outcome).toBe('late');

    const failing = settleWithin(never, 1000, () => Promise.reject(new Error('no answer within 1000 ms')));
    const checked = expect(failing).rejects.toThrow('no answer within 1000 ms');
    await jest.advanceTimersByTimeAsync(1000);
    await checked;
  });
});
