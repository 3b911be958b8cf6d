import { redisConnection } from '@app/queue';
import IORedis from 'ioredis';
import { connect, Socket } from 'node:net';
import { REDIS_URL } from './test-suite';

/**
 * Everything a Redis reader could see, recorded as it happens: every command any client sends (MONITOR
 * shows job data, events and return values as they are written) and, at the end, every key under the run's
 * prefix with its value. An attacker with read access to Redis sees no more than this.
 *
 * MONITOR is read over a plain socket: ioredis' monitor mode can lose track of its replies when a busy
 * server streams lines before it has switched modes.
 */
export class RedisRecorder {
  private readonly lines: string[] = [];
  private socket?: Socket;
  private pending = '';

  constructor(private readonly prefix: string) {}

  async start(): Promise<this> {
    const url = new URL(REDIS_URL);
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379) });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () => resolve());
    });
    const started = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        this.pending += chunk.toString('utf8');
        const lines = this.pending.split('\r\n');
        this.pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line === '+OK') resolve();
          else if (line.includes(this.prefix)) this.lines.push(unescapeMonitorLine(line));
        }
      });
    });
    if (url.password) socket.write(`AUTH ${decodeURIComponent(url.username || 'default')} ${decodeURIComponent(url.password)}\r\n`);
    socket.write('MONITOR\r\n');
    await started;
    return this;
  }

  /** Stops recording and adds a dump of every key under the prefix. */
  async stop(): Promise<string[]> {
    this.socket?.destroy();
    this.socket = undefined;
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

/** A MONITOR line with Redis' quoting undone (\" \\ \n \xHH …), so values read as clients wrote them. */
function unescapeMonitorLine(line: string): string {
  return line.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, c: string) => {
    if (c.startsWith('x')) return String.fromCharCode(parseInt(c.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' } as Record<string, string>)[c] ?? c;
  });
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
