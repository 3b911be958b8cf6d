import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ConfirmationChannels } from './support/confirmation-channels';
import { RawResponse, requestFrom, startExtraApi } from './support/client-address';
import { enrolCustomer } from './support/customer-factory';
import { sleep } from './support/attack-kit';
import { InProcessSuite, TestEnvironment } from './support/test-suite';

/**
 * The unauthenticated endpoints (/confirm/*, /v1/confirmations, /v1/email-verifications) are limited per
 * client IP to PUBLIC_RATE_LIMIT_PER_MINUTE, counted in Redis so the limit holds across API instances.
 * Each test is a different client (its own loopback source address), and two API instances share the
 * environment's Redis.
 */
describe('public rate limits across two API instances (PUBLIC_RATE_LIMIT_PER_MINUTE=10)', () => {
  const env = new TestEnvironment();
  let suite: InProcessSuite;
  let second: { app: INestApplication; baseUrl: string };
  let nextClient = 10;
  const newClient = () => `127.0.0.${nextClient++}`;

  beforeAll(async () => {
    await env.start({ PUBLIC_RATE_LIMIT_PER_MINUTE: '10' });
    suite = await new InProcessSuite(env).start();
    second = await startExtraApi(env);
  });
  afterAll(async () => {
    await second?.app.close();
    await suite?.stop();
    await env.stop();
  });

  /** Keeps a burst inside one wall-clock minute, whatever kind of window the limiter uses. */
  async function sameMinute(): Promise<void> {
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await sleep(60_000 - intoMinute + 100);
  }

  type Call = (baseUrl: string, client: string, headers?: Record<string, string>) => Promise<RawResponse>;
  const token = () => randomBytes(32).toString('base64url');

  const endpoints: [string, Call][] = [
    ['GET /confirm/:token', (base, client, headers) => requestFrom(client, 'GET', `${base}/confirm/${token()}`, { headers })],
    [
      'POST /v1/confirmations',
      (base, client, headers) =>
        requestFrom(client, 'POST', `${base}/v1/confirmations`, { body: { token: token(), decision: 'approve', matchCode: '42' }, headers }),
    ],
    [
      'POST /v1/email-verifications',
      (base, client, headers) => requestFrom(client, 'POST', `${base}/v1/email-verifications`, { body: { token: token() }, headers }),
    ],
  ];

  /** 12 requests from one client, alternating between the two instances: 6 to each. */
  async function burst(call: Call, client: string, headers: (i: number) => Record<string, string> = () => ({})): Promise<RawResponse[]> {
    await sameMinute();
    const out: RawResponse[] = [];
    for (let i = 0; i < 12; i++) out.push(await call(i % 2 === 0 ? suite.baseUrl : second.baseUrl, client, headers(i)));
    return out;
  }

  function expectLimitedAfterTen(answers: RawResponse[]) {
    expect(answers.slice(0, 10).map((a) => a.status)).not.toContain(429);
    for (const limited of answers.slice(10)) {
      expect(limited.status).toBe(429);
      expect(limited.contentType).toMatch(/^application\/problem\+json/);
      expect(limited.body.code).toBe('rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    }
  }

  for (const [name, call] of endpoints) {
    it(`${name}: the 11th and 12th requests of one client across both instances answer 429 rate_limited`, async () => {
      const client = newClient();
      expectLimitedAfterTen(await burst(call, client));
      // Another client is not affected.
      expect((await call(suite.baseUrl, newClient())).status).not.toBe(429);
    });
  }

  it('a client cannot escape the limit by sending a different X-Forwarded-For with each request', async () => {
    const client = newClient();
    const answers = await burst(endpoints[1][1], client, (i) => ({ 'x-forwarded-for': `198.51.100.${i + 1}` }));
    expectLimitedAfterTen(answers);
  });

  it('a client cannot choose the IP its withdrawal is recorded and shown as requested from', async () => {
    const channels = new ConfirmationChannels(env, suite.baseUrl);
    const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    const client = newClient();
    const created = await requestFrom(client, 'POST', `${suite.baseUrl}/v1/withdrawals`, {
      body: { addressId: c.addressId, amount: '0.1' },
      headers: { authorization: `Bearer ${c.client.bearer as string}`, 'idempotency-key': 'spoofed-ip', 'x-forwarded-for': '203.0.113.77' },
    });
    expect(created.status).toBe(202);
    const [row] = await env.admin.query('SELECT request_ip FROM withdrawals WHERE id = $1', [created.body.id]);
    expect(row.request_ip).toBe(client);
    const page = await channels.openPage(await channels.emailToken(c, created.body.id));
    expect(page.html).not.toContain('203.0.113.77');
  });
});
