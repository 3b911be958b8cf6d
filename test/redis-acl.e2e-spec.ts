import { QueueName, redisConnection } from '@app/queue';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from './support/attack-kit';
import { enrolCustomer } from './support/customer-factory';
import { freePort, InProcessSuite, TestEnvironment } from './support/test-suite';
import { ConfirmationChannels } from './support/confirmation-channels';
import { walletAccepts } from './support/wallet';

const ACL_FILE = join(__dirname, '..', 'deploy', 'redis', 'users.acl');
const USERS = ['api', 'notifier', 'confirmer', 'wallet'] as const;

/**
 * Redis with credentials (issue #8): a Redis server of the test's own, configured with the ACL file that
 * docker-compose.yml mounts (deploy/redis/users.acl; only the passwords and the key prefix are the
 * test's), the three apps each connecting as their own user, and what those users may not do.
 */
describe('Redis with ACL users, one per app', () => {
  const env = new TestEnvironment();
  const dir = mkdtempSync(join(tmpdir(), 'countersign-redis-'));
  const passwords = Object.fromEntries(USERS.map((u) => [u, randomBytes(12).toString('hex')])) as Record<(typeof USERS)[number], string>;
  let server: ChildProcess;
  let port: number;
  let suite: InProcessSuite;
  const url = (user: (typeof USERS)[number]) => `redis://countersign-${user}:${passwords[user]}@127.0.0.1:${port}`;
  const clients: IORedis[] = [];
  const as = (user: (typeof USERS)[number]) => {
    const client = new IORedis({ ...redisConnection(url(user)), maxRetriesPerRequest: 1 });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    // The committed rules, with this run's passwords and its own key prefix in place of "countersign".
    const rules = readFileSync(ACL_FILE, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('user '))
      .map((line) =>
        line
          .replace(/>(\w+)-redis-dev-password/, (_, user: (typeof USERS)[number]) => `>${passwords[user]}`)
          .replaceAll('~countersign:', `~${env.id}:`),
      );
    expect(rules).toHaveLength(USERS.length + 1);
    writeFileSync(join(dir, 'users.acl'), `${rules.join('\n')}\n`);
    port = await freePort();
    server = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        '--aclfile',
        join(dir, 'users.acl'),
      ],
      { stdio: 'ignore' },
    );
    await waitUntil(async () => {
      const probe = new IORedis({ ...redisConnection(url('api')), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    });
    // REDIS_URL points nowhere (a closed loopback port): each app must use its own user's URL.
    await env.start({
      REDIS_URL: 'redis://127.0.0.1:9',
      API_REDIS_URL: url('api'),
      NOTIFIER_REDIS_URL: url('notifier'),
      CONFIRMER_REDIS_URL: url('confirmer'),
    });
    suite = await new InProcessSuite(env).start();
  });

  afterAll(async () => {
    clients.forEach((c) => c.disconnect());
    await suite?.stop();
    await env.stop();
    server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a withdrawal goes from request to the wallet with every app on its own Redis user', async () => {
    const channels = new ConfirmationChannels(env, suite.baseUrl);
    const customer = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    const w = (await channels.requestWithdrawal(customer, '0.3')).body;
    await channels.confirmAll(customer, w);

    // The wallet reads its queue with its own user, and checks the confirmation service's signature.
    const posted = new Queue(QueueName.WithdrawalsPosted, { connection: redisConnection(url('wallet')), prefix: env.id });
    try {
      const job = await posted.getJob(w.id);
      expect(job?.data.withdrawalId).toBe(w.id);
      expect(walletAccepts(job!, env.keys.confirmerSigning.publicKey)).toBe(true);
    } finally {
      await posted.close();
    }
  });

  it('/health works through the app users: heartbeats, send counts and the eviction policy all read and written', async () => {
    await waitUntil(async () => (await fetch(`${suite.baseUrl}/health`)).status === 200, 15_000, '/health 200');
    const report = (await (await fetch(`${suite.baseUrl}/health`)).json()) as {
      status: string;
      checks: Record<string, { status: string; maxmemoryPolicy?: string; sent?: number }>;
    };
    expect(report.status).toBe('ok');
    expect(Object.values(report.checks).map((c) => c.status)).toEqual(Array(7).fill('up'));
    expect(report.checks.redis.maxmemoryPolicy).toBe('noeviction');
    // The withdrawal above was sent by email and push: counted through the notifier's own user.
    expect([report.checks.smtp.sent, report.checks.push.sent].every((n) => (n ?? 0) > 0)).toBe(true);
  });

  it('no app user may erase, reconfigure or watch the server, nor touch keys outside the queues', async () => {
    for (const user of ['api', 'notifier', 'confirmer'] as const) {
      const redis = as(user);
      const attempts: Record<string, () => Promise<unknown>> = {
        FLUSHALL: () => redis.flushall(),
        FLUSHDB: () => redis.flushdb(),
        'CONFIG SET': () => redis.config('SET', 'maxmemory-policy', 'allkeys-lru'),
        KEYS: () => redis.keys('*'),
        'ACL SETUSER (a user of its own)': () => redis.call('ACL', 'SETUSER', 'intruder', 'on', '>x', '~*', '+@all'),
        'CLIENT KILL (the other apps)': () => redis.call('CLIENT', 'KILL', 'TYPE', 'normal'),
        'a key outside the prefix': () => redis.set('somewhere-else', 'x'),
      };
      const answers: Record<string, string> = {};
      for (const [what, attempt] of Object.entries(attempts)) {
        answers[what] = await attempt().then(
          () => 'allowed',
          (error: Error) => (error.message.startsWith('NOPERM') ? 'NOPERM' : error.message),
        );
      }
      expect([user, answers]).toEqual([user, Object.fromEntries(Object.keys(attempts).map((what) => [what, 'NOPERM']))]);
      expect(await redis.info('memory')).toContain('maxmemory_policy:noeviction');
    }
    // The wallet reaches its own queue only.
    const wallet = as('wallet');
    await expect(wallet.get(`${env.id}:confirmations:meta`)).rejects.toThrow(/NOPERM/);
    // And nobody connects without naming a user.
    const anonymous = new IORedis({ port, lazyConnect: true, maxRetriesPerRequest: 0 });
    clients.push(anonymous);
    await anonymous.connect().catch(() => undefined);
    await expect(anonymous.get(`${env.id}:confirmations:meta`)).rejects.toThrow(/NOAUTH|NOPERM|default user is disabled/i);
  });
});
