import { StoppableRedis } from './stoppable-redis';
import { redisConnection } from './redis-connection';

export class RedisPolicyError extends Error {}

/**
 * BullMQ loses jobs when Redis evicts keys: refuse to start unless maxmemory-policy is noeviction. Read
 * from INFO, which an app's restricted ACL user may run (CONFIG may not).
 */
export async function assertRedisNoEviction(redisUrl: string): Promise<void> {
  const redis = new StoppableRedis({ ...redisConnection(redisUrl), lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const policy = /^maxmemory_policy:(\S+)/m.exec(await redis.info('memory'))?.[1] ?? 'unknown';
    if (policy !== 'noeviction') {
      throw new RedisPolicyError(`Redis maxmemory-policy is "${policy}"; Countersign requires "noeviction"`);
    }
  } finally {
    redis.disconnect();
  }
}
