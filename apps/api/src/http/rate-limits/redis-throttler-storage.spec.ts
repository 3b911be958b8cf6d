import IORedis from 'ioredis';
import { RedisThrottlerStorage } from './redis-throttler-storage';

/** A Redis that takes the command and never answers (a blackholed connection). */
const silentRedis = () => ({ defineCommand: () => undefined, throttlerIncrement: () => new Promise(() => undefined) }) as unknown as IORedis;

describe('RedisThrottlerStorage when Redis does not answer', () => {
  it('answers within about half a second, counting in this instance, and the limit still holds', async () => {
    const storage = new RedisThrottlerStorage(silentRedis(), 'test:');
    const started = Date.now();
    const first = await storage.increment('customer:a', 60_000, 2, 60_000, 'customer-writes');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(first).toMatchObject({ totalHits: 1, isBlocked: false });
    await storage.increment('customer:a', 60_000, 2, 60_000, 'customer-writes');
    const third = await storage.increment('customer:a', 60_000, 2, 60_000, 'customer-writes');
    expect(third.isBlocked).toBe(true);
    expect((await storage.increment('customer:b', 60_000, 2, 60_000, 'customer-writes')).isBlocked).toBe(false);
  });
});
