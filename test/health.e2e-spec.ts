import { AppName, AppProcess } from './support/app-processes';
import { ConfirmationChannels } from './support/confirmation-channels';
import { enrolCustomer } from './support/customer-factory';
import { waitUntil } from './support/ledger-checks';
import { TcpProxy } from './support/tcp-proxy';
import { REDIS_URL, TestEnvironment } from './support/test-suite';

interface Check {
  status: 'up' | 'down' | 'degraded';
  detail: string;
  [measure: string]: unknown;
}
interface Health {
  status: string;
  postgres: string;
  redis: string;
  checks: Record<'postgres' | 'redis' | 'outbox' | 'notifier' | 'confirmer' | 'smtp' | 'push', Check>;
}

/**
 * /health as an operator or an orchestrator reads it, against the three apps as real processes: each
 * dependency by name, an answer even while Redis does not reply, 503 when confirmations cannot complete.
 */
describe('/health: each dependency by name, always an answer, 503 when confirmations cannot complete', () => {
  const env = new TestEnvironment();
  const processes = new Map<AppName, AppProcess>();
  const redisProxy = TcpProxy.forUrl(REDIS_URL); // between the API and Redis
  let smtpProxy: TcpProxy;
  let baseUrl: string;

  /** GET /health, given up on after 3 s: a probe that hangs is an answer that never comes. */
  const health = async (): Promise<{ status: number; body: Health }> => {
    const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(3000) });
    return { status: response.status, body: (await response.json()) as Health };
  };

  beforeAll(async () => {
    await env.start({ PUBLIC_RATE_LIMIT_PER_MINUTE: '100000' });
    baseUrl = env.env.PUBLIC_BASE_URL;
    smtpProxy = TcpProxy.forUrl(env.smtp.url);
    const workerSmtp = await smtpProxy.start('smtp');
    const redisViaProxy = await redisProxy.start();
    const launch = async (name: AppName, overrides: Record<string, string> = {}) => {
      const p = new AppProcess(name, { ...env.env, ...overrides });
      processes.set(name, p);
      return p.start();
    };
    await Promise.all([
      launch('api', { REDIS_URL: redisViaProxy }),
      launch('notification-worker', { SMTP_URL: workerSmtp }),
      launch('confirmation-service'),
    ]);
  }, 120_000);

  afterAll(async () => {
    if (process.env.TEST_LOGS === '1') for (const p of processes.values()) console.log(p.name, p.output.join('\n'));
    await Promise.all([...processes.values()].map((p) => p.stop()));
    await redisProxy.stop();
    await smtpProxy?.stop();
    await env.stop();
  }, 60_000);

  it('all well: 200 ok, each dependency named and up with its detail', async () => {
    await waitUntil(async () => (await health()).status === 200, '/health 200', 20_000);
    const { body } = await health();
    expect(body.status).toBe('ok');
    expect([body.postgres, body.redis]).toEqual(['up', 'up']);
    expect(Object.keys(body.checks).sort()).toEqual(['confirmer', 'notifier', 'outbox', 'postgres', 'push', 'redis', 'smtp']);
    for (const check of Object.values(body.checks)) expect([check.status, typeof check.detail]).toEqual(['up', 'string']);
    expect(body.checks.notifier.heartbeatAgeSeconds).toEqual(expect.any(Number));
    expect(body.checks.confirmer.heartbeatAgeSeconds).toEqual(expect.any(Number));
    expect(body.checks.redis.maxmemoryPolicy).toBe('noeviction');
  }, 60_000);

  it('the SMTP relay refusing connections: the failure rate of its recent sends shows, the API stays up', async () => {
    const channels = new ConfirmationChannels(env, baseUrl);
    const customer = await enrolCustomer(env, baseUrl, { deposit: '1' });
    await smtpProxy.cut();
    try {
      expect((await channels.requestWithdrawal(customer, '0.1')).status).toBe(202);
      await waitUntil(async () => (await health()).body.checks.smtp.status !== 'up', 'smtp failures seen by /health', 20_000);
      const { status, body } = await health();
      expect(status).toBe(200); // the sends are retried: confirmations are late, not impossible
      expect(body.status).toBe('degraded');
      expect(body.checks.smtp.failureRate).toBeGreaterThan(0);
      expect(body.checks.smtp.failed).toBeGreaterThan(0);
      expect(body.checks.smtp.detail).toMatch(/fail/);
      expect(body.checks.push.status).toBe('up'); // the push service answered
    } finally {
      await smtpProxy.restore();
    }
  }, 90_000);

  it('Redis not answering the API: /health still answers, redis down, 503', async () => {
    redisProxy.blackhole();
    try {
      const { status, body } = await health();
      expect(status).toBe(503);
      expect(body.status).toBe('unavailable');
      expect(body.checks.redis.status).toBe('down');
      expect(body.checks.postgres.status).toBe('up');
    } finally {
      await redisProxy.restore();
    }
    await waitUntil(async () => (await health()).body.checks.redis.status === 'up', 'redis up again', 20_000);
  }, 60_000);

  it('the confirmation service dead: 503, naming it', async () => {
    await processes.get('confirmation-service')!.kill();
    await waitUntil(async () => (await health()).status === 503, '/health 503', 30_000, 250);
    const { body } = await health();
    expect(body.status).toBe('unavailable');
    expect(body.checks.confirmer.status).toBe('down');
    expect(body.checks.confirmer.detail).toMatch(/confirmation service/);
    expect(body.checks.notifier.status).toBe('up');
  }, 60_000);
});
