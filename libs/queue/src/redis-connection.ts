import { RedisOptions } from 'ioredis';

/** ioredis options that BullMQ accepts too: its retryStrategy may not be null. */
export type RedisConnectionOptions = Omit<RedisOptions, 'retryStrategy'> & { retryStrategy?: (times: number) => number };

/** Reconnect quickly and keep trying: work resumes within about two seconds of Redis answering again. */
const RECONNECT_CAP_MS = 1000;

/** ioredis options from a redis:// or rediss:// URL; BullMQ workers need maxRetriesPerRequest null. */
export function redisConnection(redisUrl: string): RedisConnectionOptions {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 100, RECONNECT_CAP_MS),
  };
}
