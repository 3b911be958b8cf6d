import { redisConnection } from '@app/queue';
import IORedis from 'ioredis';
import { REDIS_URL, TestEnvironment } from './test-suite';

/**
 * Where a secret string sits at rest: every table of the test database (each row as text, read as the
 * superuser) and every value under the run's Redis prefix. Used to prove raw tokens are never stored.
 */
export async function tablesContaining(env: TestEnvironment, needle: string): Promise<string[]> {
  const tables: { name: string }[] = await env.admin.query(
    `SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  const hits: string[] = [];
  for (const { name } of tables) {
    const [{ n }] = await env.admin.query(`SELECT count(*)::int AS n FROM ${name} t WHERE strpos(t::text, $1) > 0`, [needle]);
    if (n > 0) hits.push(name);
  }
  return hits;
}

export async function redisKeysContaining(env: TestEnvironment, needle: string): Promise<string[]> {
  const redis = new IORedis(redisConnection(REDIS_URL));
  const hits: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.id}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        let text = '';
        if (type === 'string') text = (await redis.get(key)) ?? '';
        else if (type === 'hash') text = JSON.stringify(await redis.hgetall(key));
        else if (type === 'list') text = JSON.stringify(await redis.lrange(key, 0, -1));
        else if (type === 'set') text = JSON.stringify(await redis.smembers(key));
        else if (type === 'zset') text = JSON.stringify(await redis.zrange(key, 0, -1));
        else if (type === 'stream') text = JSON.stringify(await redis.xrange(key, '-', '+'));
        if (text.includes(needle)) hits.push(key);
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return hits;
}
