import { randomBytes } from 'node:crypto';
import { AppName, AppProcess } from './support/app-processes';
import { ApiClient } from './support/api-client';
import { ConfirmationChannels } from './support/confirmation-channels';
import { enrolCustomer } from './support/customer-factory';
import { sentTo } from './support/smtp-catcher';
import { TestEnvironment } from './support/test-suite';

type LogLine = Record<string, unknown> & { msg?: string; requestId?: string; app?: string };

/** Keys whose value is a credential wherever they appear in a log line: only ever "[redacted]" there. */
const SECRET_KEYS = new Set(['token', 'code', 'totpCode', 'matchCode', 'secret', 'password', 'authorization', 'cookie', 'auth', 'operatorToken']);

function secretKeysShown(value: unknown, path = ''): string[] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (SECRET_KEYS.has(k) && v !== '[redacted]' ? [`${path}${k}`] : secretKeysShown(v, `${path}${k}.`)));
}

/** `needle` as a word of its own (a 6-digit code inside a longer number or a hex id is not it). */
const appearsIn = (line: string, needle: string) =>
  new RegExp(`(?<![A-Za-z0-9])${needle.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?![A-Za-z0-9])`).test(line);

/**
 * The operators' view of one withdrawal: the three apps as their own processes, logging JSON lines. The
 * request id the frontend sent when creating the withdrawal appears in each app's lines, and no token,
 * code, secret or bearer token of the whole run appears in any line.
 */
describe('operator logs: JSON lines, one request id through three apps, no secrets', () => {
  const env = new TestEnvironment();
  const apps = {} as Record<AppName, AppProcess>;
  let baseUrl: string;

  beforeAll(async () => {
    await env.start({ PUBLIC_RATE_LIMIT_PER_MINUTE: '100000', LOG_LEVEL: 'debug' });
    baseUrl = env.env.PUBLIC_BASE_URL;
    for (const name of ['api', 'notification-worker', 'confirmation-service'] as const) apps[name] = await new AppProcess(name, env.env).start();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(Object.values(apps).map((p) => p.stop()));
    await env.stop();
  }, 60_000);

  const linesOf = (name: AppName): LogLine[] => apps[name].output.map((line) => JSON.parse(line) as LogLine);

  it('follows one withdrawal by the request id of its creation, and logs nothing secret', async () => {
    const customer = await enrolCustomer(env, baseUrl, { deposit: '1' });
    const channels = new ConfirmationChannels(env, baseUrl);
    const requestId = `frontend-${randomBytes(8).toString('hex')}`;

    const created = await customer.client.post(
      '/v1/withdrawals',
      { addressId: customer.addressId, amount: '0.25' },
      { 'idempotency-key': `key-${randomBytes(4).toString('hex')}`, 'x-request-id': requestId },
    );
    expect(created.status).toBe(202);
    expect(created.headers.get('x-request-id')).toBe(requestId);
    const withdrawal = created.body as { id: string; matchCode: string };

    // The page of the email's link is opened as a browser would (its URL carries the token).
    const emailToken = await channels.emailToken(customer, withdrawal.id);
    expect((await channels.openPage(emailToken)).status).toBe(200);
    const { pushToken, totpCode } = await channels.confirmAll(customer, withdrawal);
    await env.smtp.waitFor((m) => sentTo(m, customer.email) && /confirmed and sent/.test(m.subject ?? '') && (m.text ?? '').includes(withdrawal.id));

    // The creation's request id in each app: the API's request, the notifier's challenge (and outcome)
    // jobs, the confirmation service's settlement of the withdrawal. (Lines reach us through pipes: waited for.)
    const carrying = (name: AppName) =>
      linesOf(name)
        .filter((l) => l.requestId === requestId)
        .map((l) => l.msg ?? '');
    await waitFor(
      () =>
        carrying('notification-worker').some((m) => /send-outcome-email .* done/.test(m)) &&
        carrying('confirmation-service').includes(`withdrawal ${withdrawal.id} posted`),
    );
    expect(carrying('api').length).toBeGreaterThan(0);
    expect(carrying('notification-worker')).toEqual(expect.arrayContaining([expect.stringMatching(/send-withdrawal-challenges .* done/)]));

    // Every line of every app is one JSON object.
    const lines = { api: linesOf('api'), notifier: linesOf('notification-worker'), confirmer: linesOf('confirmation-service') };
    for (const [app, ls] of Object.entries(lines))
      expect([app, ls.every((l) => typeof l.level === 'number' && typeof l.msg === 'string')]).toEqual([app, true]);

    // Every credential of the run: the link and push tokens, the TOTP secret and codes, the customer's
    // bearer token, the push subscription's secret, every token in every email, the apps' private keys.
    const mailTokens = env.smtp.messages.flatMap((m) =>
      [...(m.text ?? '').matchAll(/\/(?:confirm|verify-email|security-notice)\/([A-Za-z0-9_-]{16,})/g)].map((x) => x[1]),
    );
    const pushTokens = env.push.messages.map((m) => m.payload.token).filter((t): t is string => typeof t === 'string');
    const bearer = customer.client.bearer as string;
    const privateKeys = Object.entries(env.env)
      .filter(([k]) => /PRIVATE_KEY$/.test(k))
      .map(([, v]) => v.replace(/-----[A-Z ]+-----|\s/g, '').slice(0, 40));
    const secrets = [
      emailToken,
      pushToken,
      totpCode,
      customer.activationCode,
      customer.addressCode,
      customer.totpSecret,
      bearer,
      ...customer.subscriptions.map((s) => s.keys.auth),
      ...mailTokens,
      ...pushTokens,
      ...privateKeys,
    ];
    expect(mailTokens.length).toBeGreaterThanOrEqual(2);
    const all = Object.values(apps).flatMap((p) => p.output);
    expect(all.length).toBeGreaterThan(20);
    const leaks = secrets.flatMap((secret) => all.filter((line) => appearsIn(line, secret)).map((line) => `${secret.slice(0, 8)}… in ${line}`));
    expect(leaks).toEqual([]);
    expect(all.filter((line) => /Bearer |eyJ[A-Za-z0-9_-]{10,}\./.test(line))).toEqual([]);
    expect(Object.values(lines).flatMap((ls) => ls.flatMap((l) => secretKeysShown(l)))).toEqual([]);
    // The page's URL is logged, its token is not.
    expect(lines.api.some((l) => (l.req as { url?: string } | undefined)?.url === '/confirm/[redacted]')).toBe(true);
  });

  it('echoes a well-formed X-Request-Id and replaces any other with its own', async () => {
    const client = new ApiClient(baseUrl);
    const good = await client.get('/v1/push/vapid-public-key', { 'x-request-id': 'abc12345-ok' });
    expect(good.headers.get('x-request-id')).toBe('abc12345-ok');
    for (const bad of ['short', 'x'.repeat(65), 'has space in it', 'quote"and{json}']) {
      const answer = await client.get('/v1/push/vapid-public-key', { 'x-request-id': bad });
      expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    const none = await client.get('/v1/push/vapid-public-key');
    expect(none.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((r) => setTimeout(r, 50));
  }
}
