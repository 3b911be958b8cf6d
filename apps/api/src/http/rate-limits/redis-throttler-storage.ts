import { Logger } from '@nestjs/common';
import { settleWithin } from '@app/queue';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import IORedis from 'ioredis';

/**
 * One round trip per hit: count in a fixed window and, past the limit, block for `blockDuration`.
 * Returns [hits, ms left in the window, ms left of the block (0 when none)].
 */
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local window = redis.call('PTTL', KEYS[1])
local blocked = redis.call('PTTL', KEYS[2])
if blocked <= 0 and hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  blocked = tonumber(ARGV[3])
end
if blocked < 0 then blocked = 0 end
return { hits, window, blocked }`;

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

type Incrementing = IORedis & {
  throttlerIncrement(hitsKey: string, blockKey: string, ttl: number, limit: number, block: number): Promise<[number, number, number]>;
};

/** How long a count may take before this instance counts on its own: Redis is a transport that may be away. */
const REDIS_ANSWER_MS = 500;

/**
 * @nestjs/throttler's storage in Redis, so that a limit holds across every API instance. Written here
 * because the Redis storage package (@nest-lab/throttler-storage-redis) does not support NestJS 12; the
 * throttler itself still decides. When Redis does not answer within half a second, this instance counts
 * in its own memory until it does (the limit then holds per instance): a Redis outage neither lifts the
 * limits nor stops the requests that Postgres alone can serve.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly redis: Incrementing;
  private readonly local = new ThrottlerStorageService();
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private redisAway = false;

  constructor(
    redis: IORedis,
    private readonly keyPrefix: string,
  ) {
    redis.defineCommand('throttlerIncrement', { numberOfKeys: 2, lua: INCREMENT });
    this.redis = redis as Incrementing;
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const base = `${this.keyPrefix}${throttlerName}:${key}`;
    const counted = await settleWithin(
      this.redis.throttlerIncrement(`${base}:hits`, `${base}:blocked`, ttl, limit, blockDuration || ttl).catch(() => undefined),
      REDIS_ANSWER_MS,
      () => undefined,
    );
    if (!counted) {
      if (!this.redisAway) this.logger.warn('Redis does not answer: rate limits are counted per API instance until it does');
      this.redisAway = true;
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
    this.redisAway = false;
    const [hits, windowMs, blockMs] = counted;
    return {
      totalHits: hits,
      timeToExpire: Math.ceil(windowMs / 1000),
      isBlocked: blockMs > 0,
      timeToBlockExpire: Math.ceil(blockMs / 1000),
    };
  }
}
