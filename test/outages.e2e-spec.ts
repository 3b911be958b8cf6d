import { defaultRoleUrl } from '@app/config';
import { OUTBOX_SWEEP_MS } from '@app/queue';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { AppName, AppProcess } from './support/app-processes';
import { ConfirmationChannels } from './support/confirmation-channels';
import { EnrolledCustomer, enrolCustomer } from './support/customer-factory';
import { sleep, waitUntil } from './support/ledger-checks';
import { TcpProxy } from './support/tcp-proxy';
import { freePort, REDIS_URL, TestEnvironment } from './support/test-suite';

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Each component's warnings and errors during an outage: at most one line each, however long it lasts. */
function expectOncePerSource(lines: string[]): void {
  const bySource = new Map<string, string[]>();
  for (const line of lines.filter((l) => /\b(WARN|ERROR)\b/.test(l))) {
    const source = /\b(?:WARN|ERROR) \[([^\]]+)\]/.exec(line)?.[1] ?? line;
    bySource.set(source, [...(bySource.get(source) ?? []), line]);
  }
  for (const [, logged] of bySource) expect(logged.length === 1 ? 1 : logged).toBe(1);
}

/**
 * What a client and an operator see while Postgres or Redis is gone from under the API (a TCP proxy
 * between them, cut as a crash would): a 503 problem to retry, never a 500 or a stack; one log line when
 * the outage starts and one when it ends, however many requests fail in between.
 */
describe('Postgres or Redis gone: 503 unavailable with Retry-After, logged once per outage', () => {
  const env = new TestEnvironment();
  const processes: AppProcess[] = [];
  const postgresProxy = new TcpProxy('127.0.0.1', 5432);
  const redisProxy = TcpProxy.forUrl(REDIS_URL);
  let api: AppProcess;
  let baseUrl: string;
  let channels: ConfirmationChannels;
  let customer: EnrolledCustomer;

  const launch = async (name: AppName, overrides: Record<string, string> = {}) => {
    const p = new AppProcess(name, { ...env.env, ...overrides });
    processes.push(p);
    return p.start();
  };

  beforeAll(async () => {
    await env.start({ PUBLIC_RATE_LIMIT_PER_MINUTE: '100000' });
    baseUrl = env.env.PUBLIC_BASE_URL;
    const postgresUrl = new URL(await postgresProxy.start('postgres'));
    const apiDatabase = new URL(defaultRoleUrl(env.databaseUrl, 'api'));
    apiDatabase.host = postgresUrl.host;
    [api] = await Promise.all([
      launch('api', { API_DATABASE_URL: apiDatabase.toString(), REDIS_URL: await redisProxy.start() }),
      launch('notification-worker'),
      launch('confirmation-service'),
    ]);
    channels = new ConfirmationChannels(env, baseUrl);
    customer = await enrolCustomer(env, baseUrl, { deposit: '10' });
  }, 120_000);

  afterAll(async () => {
    if (process.env.TEST_LOGS === '1') for (const p of processes) console.log(p.name, p.output.join('\n'));
    await Promise.all(processes.map((p) => p.stop()));
    await postgresProxy.stop();
    await redisProxy.stop();
    await env.stop();
  }, 60_000);

  it('Postgres cut: each request a 503 unavailable with Retry-After; one line for the outage; served again after', async () => {
    const from = api.output.length;
    await postgresProxy.cut();
    let requests = 0;
    try {
      // Five seconds of a customer's retries: two or three sweeps of each app's outbox relay (OUTBOX_SWEEP_MS), many requests.
      for (const until = Date.now() + 2.5 * OUTBOX_SWEEP_MS; Date.now() < until; requests += 2) {
        const r = await channels.requestWithdrawal(customer, '0.01');
        expect([r.status, r.body.code]).toEqual([503, 'unavailable']);
        expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(r.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
        expect(JSON.stringify(r.body)).not.toMatch(/ECONNREFUSED|at .*\.js|\.ts:/); // nothing of the driver's error
        const doc = await customer.client.get('/v1/withdrawals');
        expect([doc.status, doc.body.code]).toEqual([503, 'unavailable']);
        const poll = await customer.client.get(`/v1/withdrawals/${randomUUID()}`); // not cached: read from Postgres
        expect([poll.status, poll.body.code, poll.headers.get('retry-after')]).toEqual([503, 'unavailable', '5']);
        await sleep(100);
      }
      const health = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(3000) });
      const report = (await health.json()) as { status: string; checks: Record<string, { status: string }> };
      expect([health.status, report.status, report.checks.postgres.status, report.checks.outbox.status]).toEqual([
        503,
        'unavailable',
        'down',
        'down',
      ]);
    } finally {
      await postgresProxy.restore();
    }
    await waitUntil(async () => (await channels.requestWithdrawal(customer, '0.01')).status === 202, 'withdrawals accepted again', 20_000, 200);
    await waitUntil(() => api.output.slice(from).some((l) => /postgres is reachable again/.test(l)), 'the recovery logged', 10_000);

    const lines = api.output.slice(from);
    expect(requests).toBeGreaterThan(10);
    expect(lines.filter((l) => /postgres is unreachable/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /postgres is reachable again/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /failed:|internal_error|^\s+at /.test(l))).toEqual([]);
    expectOncePerSource(lines);
  }, 90_000);

  it('Redis cut for 3 s while requests are served: a confirmation is 503 unavailable, no "Unhandled error event", one line for the outage', async () => {
    const pending = (await channels.requestWithdrawal(customer, '0.01')).body;
    const emailToken = await channels.emailToken(customer, pending.id);
    const from = api.output.length;
    await redisProxy.cut();
    const until = Date.now() + 3000;
    const statuses = new Set<number>();
    try {
      // A confirmation needs the confirmation service, through Redis: 503 unavailable at once, not a wait.
      await waitUntil(async () => (await fetch(`${baseUrl}/health`)).status === 503, '/health 503', 10_000, 100);
      const decided = await channels.decide(emailToken, 'approve', pending.matchCode);
      expect([decided.status, decided.body.code, decided.headers.get('retry-after')]).toEqual([503, 'unavailable', '5']);
      while (Date.now() < until) {
        const answers = await Promise.all([
          channels.requestWithdrawal(customer, '0.01'),
          customer.client.get('/v1/withdrawals'),
          fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(3000) }),
        ]);
        for (const a of answers) statuses.add(a.status);
        await sleep(100);
      }
    } finally {
      await redisProxy.restore();
    }
    await waitUntil(async () => (await fetch(`${baseUrl}/health`)).status === 200, '/health 200 again', 20_000, 200);
    expect(api.output.slice(from).filter((l) => /Unhandled error event/.test(l))).toEqual([]);
    expect(statuses).not.toContain(500);
    await waitUntil(() => api.output.slice(from).some((l) => /redis is reachable again/.test(l)), 'the recovery logged', 10_000);

    const lines = api.output.slice(from);
    expect(lines.filter((l) => /redis is unreachable/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /failed:|internal_error|^\s+at /.test(l))).toEqual([]);
    expectOncePerSource(lines);
    // Redis back: the same confirmation goes through.
    await waitUntil(async () => (await channels.decide(emailToken, 'approve', pending.matchCode)).status === 200, 'the email approved', 20_000, 250);
  }, 90_000);

  it('HOST chooses the listening interface: HOST=127.0.0.2 listens there and nowhere else', async () => {
    const port = await freePort();
    await launch('api', { HOST: '127.0.0.2', PORT: String(port) });
    expect(await accepts('127.0.0.2', port)).toBe(true);
    expect(await accepts('127.0.0.1', port)).toBe(false);
  }, 60_000);
});
