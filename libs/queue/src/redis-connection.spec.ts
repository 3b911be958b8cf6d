import { redisConnection } from './redis-connection';

describe('redisConnection', () => {
  it('reads an ACL user, its password (URL-encoded), the database and TLS from a rediss:// URL', () => {
    expect(redisConnection('rediss://countersign-api:p%40ss%3Aword@redis.internal:6380/2')).toMatchObject({
      host: 'redis.internal',
      port: 6380,
      username: 'countersign-api',
      password: 'p@ss:word',
      db: 2,
      tls: {},
    });
  });

  it('leaves TLS off and the user unset for a plain redis:// URL', () => {
    const options = redisConnection('redis://127.0.0.1:6379');
    expect(options).toMatchObject({ host: '127.0.0.1', port: 6379, db: 0 });
    expect(options.tls).toBeUndefined();
    expect(options.username).toBeUndefined();
  });
});
