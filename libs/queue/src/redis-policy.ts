import IORedis from 'ioredis';
import { redisConnection } from './redis-connection';

export class RedisPolicyError extends Error {}

/** BullMQ loses jobs when Redis evicts keys: refuse to start unless maxmemory-policy is noeviction. */
export async function assertRedisNoEviction(redisUrl: string): Promise<void> {
  const redis = new IORedis({ ...redisConnection(redisUrl), lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy !== 'noeviction') {
      throw new RedisPolicyError(`Redis maxmemory-policy is "${policy}"; Countersign requires "noeviction"`);
    }
  } finally {
    redis.disconnect();
  }
}
