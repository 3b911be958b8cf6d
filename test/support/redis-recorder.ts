import { redisConnection } from '@app/queue';
import IORedis from 'ioredis';
import { REDIS_URL } from './test-suite';

/**
 * Everything a Redis reader could see, recorded as it happens: every command any client sends (MONITOR
 * shows job data, events and return values as they are written) and, at the end, every key under the run's
 * prefix with its value. An attacker with read access to Redis sees no more than this.
 */
export class RedisRecorder {
  private readonly monitorClient = new IORedis({ ...redisConnection(REDIS_URL), lazyConnect: true });
  private readonly lines: string[] = [];
  private monitor?: Awaited<ReturnType<IORedis['monitor']>>;

  constructor(private readonly prefix: string) {}

  async start(): Promise<this> {
    await this.monitorClient.connect();
    this.monitor = await this.monitorClient.monitor();
    this.monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((a) => a.includes(this.prefix))) this.lines.push(args.join(' '));
    });
    return this;
  }

  /** Stops recording and adds a dump of every key under the prefix. */
  async stop(): Promise<string[]> {
    this.monitor?.disconnect();
    this.monitorClient.disconnect();
    const redis = new IORedis(redisConnection(REDIS_URL));
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) this.lines.push(`${key} => ${await dump(redis, key)}`);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    return this.lines;
  }

  get recorded(): readonly string[] {
    return this.lines;
  }
}

async function dump(redis: IORedis, key: string): Promise<string> {
  switch (await redis.type(key)) {
    case 'string':
      return (await redis.get(key)) ?? '';
    case 'hash':
      return JSON.stringify(await redis.hgetall(key));
    case 'list':
      return JSON.stringify(await redis.lrange(key, 0, -1));
    case 'set':
      return JSON.stringify(await redis.smembers(key));
    case 'zset':
      return JSON.stringify(await redis.zrange(key, 0, -1));
    case 'stream':
      return JSON.stringify(await redis.xrange(key, '-', '+'));
    default:
      return '';
  }
}
