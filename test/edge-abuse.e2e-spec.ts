import { SignJWT } from 'jose';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@app/config';
import { ApiClient } from './support/api-client';
import { balanceOf, metricValue, problemCode, waitUntil } from './support/attack-kit';
import { authenticatorCode, enrolCustomer } from './support/customer-factory';
import { sentTo } from './support/smtp-catcher';
import { TEST_METRICS_CREDENTIALS } from './support/test-suite';
import { useSuite } from './support/use-suite';

/**
 * Issue #9, the edge under abuse: bodies that used to answer 500 after a code was consumed, floods that
 * used to silence a customer, credentials and headers that were too trusting, and production defaults.
 */
describe('the edge under abuse', () => {
  const t = useSuite({
    CUSTOMER_WRITES_PER_MINUTE: '23',
    EMAIL_CHANGES_PER_HOUR: '5',
    PUSHES_PER_HOUR: '5',
    JWT_ISSUER: 'https://exchange.test',
    JWT_AUDIENCE: 'countersign',
  });

  it('a body nested 64 KB deep answers 400 validation_failed, signed in or not, and consumes nothing', async () => {
    const nested = `{"token":${'['.repeat(32_000)}${']'.repeat(32_000)}}`;
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(customer, '0.1')).body;
    for (const [path, bearer] of [
      ['/v1/confirmations', undefined],
      [`/v1/withdrawals/${w.id}/totp`, String(customer.client.bearer)],
    ] as const) {
      const r = await fetch(`${t.suite.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: nested,
      });
      expect([path, r.status, r.headers.get('content-type')]).toEqual([path, 400, expect.stringContaining('application/problem+json')]);
      expect(((await r.json()) as { code: string }).code).toBe('validation_failed');
    }
    const tooBig = await fetch(`${t.suite.baseUrl}/v1/confirmations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `"${'a'.repeat(70_000)}"`,
    });
    expect([tooBig.status, ((await tooBig.json()) as { code: string }).code]).toEqual([400, 'validation_failed']);
    expect((await t.channels.submitTotp(customer, w.id)).status).toBe(200);
  });

  it('a NUL in an address label answers 400 validation_failed before the TOTP code is used: the same code then works', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl);
    const code = await authenticatorCode(customer.totpSecret, 1);
    const address = `bc1q${randomBytes(16).toString('hex')}`;
    const bad = await customer.client.post('/v1/me/addresses', {
      asset: 'BTC',
      network: 'bitcoin',
      address,
      label: 'cold\u0000wallet',
      totpCode: code,
    });
    expect([bad.status, problemCode(bad)]).toEqual([400, 'validation_failed']);
    const good = await customer.client.post('/v1/me/addresses', { asset: 'BTC', network: 'bitcoin', address, label: 'cold wallet', totpCode: code });
    expect(good.status).toBe(201);
  });

  it('verification emails to a third party stop at EMAIL_CHANGES_PER_HOUR: 429 rate_limited with Retry-After', async () => {
    // Before an authenticator is active no code is needed for an email change: the limit is what stands.
    const spammer = new ApiClient(t.suite.baseUrl, await t.env.token(`spammer-${randomUUID()}`));
    const target = `target-${randomUUID()}@example.test`;
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await spammer.call('PUT', '/v1/me/email', { body: { email: target } }));
    expect(answers.map((a) => a.status)).toEqual([...Array(5).fill(202), ...Array(25).fill(429)]);
    expect(problemCode(answers[5])).toBe('rate_limited');
    expect(Number(answers[5].headers.get('retry-after'))).toBeGreaterThan(0);
    await waitUntil(() => t.env.smtp.count((m) => sentTo(m, target)) === 5);
    await new Promise((r) => setTimeout(r, 500));
    expect(t.env.smtp.count((m) => sentTo(m, target))).toBe(5);
  });

  it('create-and-cancel floods neither spend the push budget nor go on unlimited: the real withdrawal gets its push, then the writes stop', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '5' });
    // Enrolment used 5 writes of the 23 a minute (email, device, TOTP, its activation, the address): 16 more here, 21.
    for (let i = 0; i < 8; i++) {
      const w = (await t.channels.requestWithdrawal(customer, '0.01')).body;
      await t.channels.push(customer, w.id); // pushed (so counted while open) before it is cancelled
      expect((await customer.client.post(`/v1/withdrawals/${w.id}/cancel`)).status).toBe(200);
    }
    // More pushes than PUSHES_PER_HOUR (5) went out for those, but they were cancelled: the budget counts open ones. 22.
    const real = await t.channels.requestWithdrawal(customer, '1');
    expect(real.status).toBe(202);
    const push = await t.channels.push(customer, real.body.id);
    expect(push.payload.withdrawalId).toBe(real.body.id);

    const flood = [];
    for (let i = 0; i < 3; i++) flood.push(await t.channels.requestWithdrawal(customer, '0.01'));
    expect(flood.map((r) => r.status)).toEqual([202, 429, 429]); // 23, then over the limit
    expect(problemCode(flood[1])).toBe('rate_limited');
  });

  it('/metrics answers only to its own credentials, not to a customer or an operator bearer', async () => {
    const op = await t.env.token('operator-1', ['operator'], '5m');
    expect((await fetch(`${t.suite.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${t.suite.baseUrl}/metrics`, { headers: { authorization: `Bearer ${op}` } })).status).toBe(401);
    const wrong = Buffer.from(`${TEST_METRICS_CREDENTIALS.user}:not-the-password`).toString('base64');
    expect((await fetch(`${t.suite.baseUrl}/metrics`, { headers: { authorization: `Basic ${wrong}` } })).status).toBe(401);
    expect(await metricValue(t.suite.baseUrl, 'countersign_outbox', { measure: 'failed' })).toBe(0);
  });

  it('every HTML page carries the confirmation page headers: CSP, no framing, no caching, no referrer', async () => {
    const token = randomBytes(32).toString('base64url');
    for (const path of [`/confirm/${token}`, `/verify-email/${token}`, `/security-notice/${token}`]) {
      const r = await fetch(`${t.suite.baseUrl}${path}`, { headers: { accept: 'text/html' } });
      expect([path, r.headers.get('content-type')]).toEqual([path, expect.stringContaining('text/html')]);
      expect([path, r.headers.get('cache-control')]).toEqual([path, 'no-store']);
      expect([path, r.headers.get('x-frame-options')]).toEqual([path, 'DENY']);
      expect([path, r.headers.get('content-security-policy')]).toEqual([path, expect.stringContaining("frame-ancestors 'none'")]);
      expect([path, r.headers.get('referrer-policy')]).toEqual([path, 'no-referrer']);
    }
  });

  it('bearer tokens: iss and aud checked when set; an operator token living longer than OPERATOR_TOKEN_MAX_AGE moves nothing', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl);
    const key = t.env.jwtKeys.privateKey;
    const mint = (claims: { iss?: string; aud?: string }) => {
      const jwt = new SignJWT({ roles: [] })
        .setProtectedHeader({ alg: 'ES256' })
        .setSubject(customer.id)
        .setJti(randomUUID())
        .setExpirationTime('5m');
      if (claims.iss) jwt.setIssuer(claims.iss);
      if (claims.aud) jwt.setAudience(claims.aud);
      return jwt.sign(key);
    };
    const as = async (claims: { iss?: string; aud?: string }) =>
      (await new ApiClient(t.suite.baseUrl, await mint(claims)).get('/v1/me/security')).status;
    expect(await as({ iss: 'https://exchange.test', aud: 'countersign' })).toBe(200);
    expect(await as({ aud: 'countersign' })).toBe(401);
    expect(await as({ iss: 'https://elsewhere.test', aud: 'countersign' })).toBe(401);
    expect(await as({ iss: 'https://exchange.test', aud: 'another-service' })).toBe(401);

    const longLived = new ApiClient(t.suite.baseUrl, await t.env.token('operator-1', ['operator'], '2h'));
    const deposit = await longLived.post('/v1/admin/deposits', {
      userId: customer.id,
      asset: 'BTC',
      amount: '100',
      reference: `long-${randomUUID()}`,
    });
    expect([deposit.status, problemCode(deposit)]).toEqual([403, 'forbidden']);
    expect(await balanceOf(customer)).toEqual({ available: '0', held: '0' });
  });

  it('a stolen customer token polled many times is served until its exp and refused from then on; its claims under another signature never', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl);
    const exp = Math.floor(Date.now() / 1000) + 3;
    const token = await t.env.sign({ roles: [] }, { sub: customer.id, lifetime: exp });
    const statusWith = async (bearer: string) => (await new ApiClient(t.suite.baseUrl, bearer).get('/v1/me/security')).status;
    for (let i = 0; i < 5; i++) expect(await statusWith(token)).toBe(200);
    const [header, payload, signature] = token.split('.');
    const other = signature[10] === 'A' ? 'B' : 'A';
    const forged = `${header}.${payload}.${signature.slice(0, 10)}${other}${signature.slice(11)}`;
    expect(await statusWith(forged)).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
    expect(await statusWith(token)).toBe(401);
  });
});

describe('with only an HS256 secret (a key the API holds too)', () => {
  const SECRET = 'an-hs256-secret-shared-with-the-api';
  const t = useSuite({ JWT_PUBLIC_KEY: '', JWT_SECRET: SECRET });
  const hs256 = (sub: string, roles: string[]) =>
    new SignJWT({ roles })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setJti(randomUUID())
      .setExpirationTime('5m')
      .sign(Buffer.from(SECRET));

  it('customers are served, but no operator action is carried out: the confirmation service cannot tell the API from an operator', async () => {
    const customerId = `hs-${randomUUID()}`;
    const customer = new ApiClient(t.suite.baseUrl, await hs256(customerId, []));
    expect((await customer.get('/v1/me/security')).status).toBe(200);
    const operator = new ApiClient(t.suite.baseUrl, () => hs256('operator-1', ['operator']));
    expect((await operator.get('/v1/admin/audit')).status).toBe(200);
    const deposit = await operator.post('/v1/admin/deposits', { userId: customerId, asset: 'BTC', amount: '1', reference: `hs-${randomUUID()}` });
    expect([deposit.status, problemCode(deposit)]).toEqual([403, 'forbidden']);
    expect(deposit.body.detail).toMatch(/JWT_PUBLIC_KEY/);
    const freeze = await operator.post(`/v1/admin/users/${customerId}/freeze`, { reason: 'test' });
    expect([freeze.status, problemCode(freeze)]).toEqual([403, 'forbidden']);
    expect((await customer.get('/v1/me/balances')).body).toEqual([]);
  });
});

describe('production start-up', () => {
  /** Starts an app from source with NODE_ENV=production and `env`; its exit code and output. */
  const startInProduction = (app: string, env: Record<string, string>) =>
    new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', join('apps', app, 'src', 'main.ts')], {
        cwd: join(__dirname, '..'),
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', NO_COLOR: '1', DEV_KEYS_FILE: '/nonexistent/dev-keys.json', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.once('error', reject);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });

  it('refuses each unsafe default and names the variable to set', async () => {
    const own = {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/countersign_never_created',
      API_DATABASE_URL: 'postgres://countersign_api:own-password@127.0.0.1:5432/countersign_never_created',
      JWT_PUBLIC_KEY: 'unused: start-up stops before any key is read',
    };
    const cases: [app: string, env: Record<string, string>, named: RegExp][] = [
      ['api', { ...own, JWT_PUBLIC_KEY: '' }, /JWT_PUBLIC_KEY \(or JWT_SECRET\) must be set/],
      ['api', { ...own, JWT_PUBLIC_KEY: '', JWT_SECRET: 'countersign-development-secret-change-me' }, /JWT_SECRET must be your own/],
      ['api', { ...own, API_DATABASE_URL: '' }, /API_DATABASE_URL must carry the role's own password/],
      ['api', own, /API_SIGNING_PRIVATE_KEY.*development keys are refused in production/],
      ['notification-worker', { DATABASE_URL: own.DATABASE_URL }, /VAPID_PRIVATE_KEY.*development keys are refused in production/],
      ['confirmation-service', { DATABASE_URL: own.DATABASE_URL }, /TOTP_SEAL_PRIVATE_KEY.*development keys are refused in production/],
      ['confirmation-service', { DATABASE_URL: own.DATABASE_URL }, /CONFIRMER_DATABASE_URL must carry the role's own password/],
    ];
    const results = await Promise.all(cases.map(([app, env]) => startInProduction(app, env)));
    for (const [i, [app, , named]] of cases.entries()) {
      expect([app, results[i].code]).toEqual([app, 1]);
      expect([app, results[i].output]).toEqual([app, expect.stringMatching(named)]);
      expect(results[i].output).not.toContain('own-password');
    }
  }, 120_000);

  it('starts with the key files of `npm run keys:generate`, each app with its own file only', async () => {
    const out = mkdtempSync(join(tmpdir(), 'countersign-keys-'));
    try {
      const run = () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn('npm', ['run', '--silent', 'keys:generate', '--', '--out', out], { cwd: join(__dirname, '..') });
          let output = '';
          child.stdout.on('data', (d) => (output += d));
          child.stderr.on('data', (d) => (output += d));
          child.once('error', reject);
          child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(output))));
        });
      const first = await run();
      expect(first).toContain(join(out, 'confirmer', 'app.env'));
      expect(await run()).toMatch(/keys already in .*; nothing changed/);
      const file = (holder: string) =>
        Object.fromEntries(
          readFileSync(join(out, holder, 'app.env'), 'utf8')
            .trim()
            .split('\n')
            .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
        );
      expect(statSync(join(out, 'api', 'app.env')).mode & 0o077).toBe(0);
      const production = {
        NODE_ENV: 'production',
        API_DATABASE_URL: 'postgres://countersign_api:own@db/cs',
        NOTIFIER_DATABASE_URL: 'postgres://countersign_notifier:own@db/cs',
        CONFIRMER_DATABASE_URL: 'postgres://countersign_confirmer:own@db/cs',
      };
      for (const app of ['api', 'notifier', 'confirmer'] as const) {
        expect(loadConfig({ ...production, ...file(app) }, app).production).toBe(true);
      }
      expect(() => loadConfig({ ...production, ...file('notifier'), JWT_SECRET: 'x'.repeat(32) }, 'api')).toThrow(/API_SIGNING_PRIVATE_KEY/);
      expect(first).not.toContain(file('api').API_SIGNING_PRIVATE_KEY);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
