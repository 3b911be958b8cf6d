import { PROBLEM_STATUS } from '@app/domain';
import { QueueName } from '@app/queue';
import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiApp } from '../apps/api/src/api-app';
import { enrolCustomer } from './support/customer-factory';
import { sentTo } from './support/smtp-catcher';
import { TEST_METRICS_CREDENTIALS } from './support/test-suite';
import { useSuite } from './support/use-suite';

const DASHBOARD = { user: 'ops', password: 'dashboard-in-tests' };
const FRONTEND = 'https://app.exchange.test';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** shared/API.md beside the repository (the live contract), else the copy kept with the tests. */
function contractText(): string {
  const root = join(__dirname, '..');
  const live = join(root, '..', 'shared', 'API.md');
  return readFileSync(existsSync(live) ? live : join(__dirname, 'contract', 'API.md'), 'utf8');
}

/** Every `METHOD /path` the contract names, as OpenAPI writes paths (`:id` and `<token>` → `{…}`, no query). */
export function contractPaths(text: string): string[] {
  const openApi = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}').replace(/<([A-Za-z]+)>/g, '{$1}');
  const found = new Set<string>();
  for (const line of text.split('\n')) {
    let last: { method: string; path: string } | undefined;
    // "`POST /v1/admin/users/:userId/freeze` · `.../unfreeze`": a `.../x` is relative to the path before it.
    for (const m of line.matchAll(/`(?:(GET|POST|PUT|DELETE|PATCH) ([^`\s]+)|\.\.\.\/([a-z-]+)`)/g)) {
      if (m[1]) last = { method: m[1], path: m[2].split('?')[0] };
      else if (last) last = { method: last.method, path: `${last.path.slice(0, last.path.lastIndexOf('/'))}/${m[3]}` };
      if (last) found.add(`${last.method} ${openApi(last.path)}`);
    }
  }
  return [...found].sort();
}

/** The problem codes of the contract's "Errors are application/problem+json" paragraph. */
export function contractProblemCodes(text: string): string[] {
  const start = text.indexOf('stable machine `code`');
  const paragraph = text.slice(start, text.indexOf('\n\n', start));
  return [...new Set([...paragraph.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).filter((c) => c !== 'code'))].sort();
}

/**
 * What operators and frontends meet around the API: /metrics that move with a withdrawal, Bull Board that
 * lists every queue and shows no secret, CORS only for CORS_ORIGINS, and an OpenAPI document that lists
 * every path and problem code of shared/API.md.
 */
describe('operator surface: metrics, queue dashboard, CORS, OpenAPI', () => {
  const t = useSuite({
    DASHBOARD_USER: DASHBOARD.user,
    DASHBOARD_PASSWORD: DASHBOARD.password,
    CORS_ORIGINS: `${FRONTEND}, https://admin.exchange.test`,
  });

  const scrape = async () => {
    const res = await fetch(`${t.suite.baseUrl}/metrics`, {
      headers: { authorization: basic(TEST_METRICS_CREDENTIALS.user, TEST_METRICS_CREDENTIALS.password) },
    });
    expect(res.status).toBe(200);
    return res.text();
  };
  /** The value of one sample, `name{labels}`, or undefined when absent. */
  const sample = (text: string, series: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  describe('after one full withdrawal', () => {
    let before: string;
    let after: string;
    let evidence: { emailToken: string; pushToken: string; totpCode: string };
    let totpSecret: string;

    beforeAll(async () => {
      before = await scrape();
      const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1', devices: 2 });
      totpSecret = customer.totpSecret;
      // The second device's push service fails: a push send failure, retried by its job.
      t.env.push.respondWith(customer.subscriptions[1].endpoint, 500);
      const w = (await t.channels.requestWithdrawal(customer, '0.3')).body as { id: string; matchCode: string };
      evidence = await t.channels.confirmAll(customer, w);
      await t.env.smtp.waitFor((m) => sentTo(m, customer.email) && /confirmed and sent/.test(m.subject ?? '') && (m.text ?? '').includes(w.id));
      after = await scrape();
    });

    it('/metrics has the confirmation and posting histograms, and they count the withdrawal', () => {
      for (const factor of ['email', 'push', 'totp']) {
        const series = `countersign_confirmation_seconds_count{factor="${factor}"}`;
        expect([series, (sample(after, series) ?? 0) - (sample(before, series) ?? 0)]).toEqual([series, 1]);
        expect(sample(after, `countersign_confirmation_seconds_bucket{factor="${factor}",le="+Inf"}`)).toBeGreaterThanOrEqual(1);
      }
      expect((sample(after, 'countersign_posting_seconds_count') ?? 0) - (sample(before, 'countersign_posting_seconds_count') ?? 0)).toBe(1);
      expect(after).toMatch(/^# TYPE countersign_confirmation_seconds histogram$/m);
      expect(after).toMatch(/^# TYPE countersign_posting_seconds histogram$/m);
      expect(sample(after, 'countersign_posting_seconds_sum')).toBeGreaterThanOrEqual(0);
    });

    it('/metrics has the depth and failed jobs of every queue, and notification send failures per channel', () => {
      for (const queue of Object.values(QueueName)) {
        expect(sample(after, `countersign_queue_depth{queue="${queue}"}`)).toEqual(expect.any(Number));
        expect(sample(after, `countersign_queue_failed_jobs{queue="${queue}"}`)).toEqual(expect.any(Number));
      }
      expect(sample(before, 'countersign_notification_send_failures_total{channel="push"}')).toBe(0);
      expect(sample(after, 'countersign_notification_send_failures_total{channel="email"}')).toBe(0);
      expect(sample(after, 'countersign_notification_send_failures_total{channel="push"}')).toBeGreaterThanOrEqual(1);
    });

    it('Bull Board answers 401 without credentials, lists every queue with them, and its job data carry no token, code or secret', async () => {
      const base = `${t.suite.baseUrl}/admin/queues/api/queues`;
      expect((await fetch(`${base}?activeQueue=notifications&status=latest&page=1`)).status).toBe(401);
      expect((await fetch(`${t.suite.baseUrl}/admin/queues`)).status).toBe(401);
      expect((await fetch(base, { headers: { authorization: basic(DASHBOARD.user, 'wrong') } })).status).toBe(401);

      const shown: string[] = [];
      let names: string[] = [];
      for (const queue of Object.values(QueueName)) {
        for (const status of ['latest', 'completed', 'failed', 'delayed', 'waiting'] as const) {
          const res = await fetch(`${base}?activeQueue=${queue}&status=${status}&page=1`, {
            headers: { authorization: basic(DASHBOARD.user, DASHBOARD.password) },
          });
          expect(res.status).toBe(200);
          const body = (await res.json()) as { queues: { name: string; jobs: { name: string; data: unknown }[] }[] };
          names = body.queues.map((q) => q.name).sort();
          for (const q of body.queues) for (const job of q.jobs) shown.push(JSON.stringify({ queue: q.name, name: job.name, data: job.data }));
        }
      }
      expect(names).toEqual(Object.values(QueueName).sort());
      expect(shown.some((j) => j.includes('send-withdrawal-challenges'))).toBe(true);
      const secrets = [evidence.emailToken, evidence.pushToken, evidence.totpCode, totpSecret];
      expect(shown.filter((j) => secrets.some((s) => j.includes(s)))).toEqual([]);
      expect(shown.filter((j) => /"(token|code|totpCode|matchCode|secret|sealedSecret|operatorToken|auth)":/.test(j))).toEqual([]);
      expect(shown.filter((j) => /"value":"[A-Za-z0-9_-]{40,}"/.test(j))).toEqual([]);
    });
  });

  describe('CORS', () => {
    const preflight = (origin: string) =>
      fetch(`${t.suite.baseUrl}/v1/withdrawals`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, idempotency-key',
        },
      });

    it('answers an origin of CORS_ORIGINS with Access-Control-Allow-Origin, and no other', async () => {
      const allowed = await preflight(FRONTEND);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(FRONTEND);
      expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key');
      expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
      const simple = await fetch(`${t.suite.baseUrl}/v1/push/vapid-public-key`, { headers: { origin: FRONTEND } });
      expect(simple.headers.get('access-control-allow-origin')).toBe(FRONTEND);
      expect(simple.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('x-request-id');
      // The status poll is a Fastify route of its own (outside Nest's pipeline): the same CORS answer.
      const poll = `${t.suite.baseUrl}/v1/withdrawals/${randomUUID()}`;
      const polled = await fetch(poll, { headers: { origin: FRONTEND } });
      expect([polled.status, polled.headers.get('access-control-allow-origin')]).toEqual([401, FRONTEND]);
      expect(polled.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('etag');
      const polledElsewhere = await fetch(poll, { headers: { origin: 'https://evil.example' } });
      expect(polledElsewhere.headers.get('access-control-allow-origin')).toBeNull();

      for (const origin of ['https://evil.example', 'https://app.exchange.test.evil.example', 'http://app.exchange.test', 'null']) {
        const other = await preflight(origin);
        expect([origin, other.headers.get('access-control-allow-origin')]).toEqual([origin, null]);
        const get = await fetch(`${t.suite.baseUrl}/v1/push/vapid-public-key`, { headers: { origin } });
        expect([origin, get.headers.get('access-control-allow-origin')]).toEqual([origin, null]);
      }
    });

    it('sends no CORS header at all when CORS_ORIGINS is not set', async () => {
      let app: INestApplication | undefined;
      try {
        app = await createApiApp(t.env.config({ CORS_ORIGINS: '' }, 'api'), { logger: false });
        await app.listen(0, '127.0.0.1');
        const url = await app.getUrl();
        const pre = await fetch(`${url}/v1/withdrawals`, {
          method: 'OPTIONS',
          headers: { origin: FRONTEND, 'access-control-request-method': 'POST' },
        });
        expect(pre.headers.get('access-control-allow-origin')).toBeNull();
        const get = await fetch(`${url}/v1/push/vapid-public-key`, { headers: { origin: FRONTEND } });
        expect(get.status).toBe(200);
        expect([...get.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
      } finally {
        await app?.close();
      }
    });
  });

  describe('OpenAPI', () => {
    const contract = contractText();
    let doc: {
      paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }>>;
      components: { schemas: Record<string, { properties?: Record<string, { enum?: string[] }> }> };
    };
    beforeAll(async () => {
      doc = (await (await fetch(`${t.suite.baseUrl}/docs-json`)).json()) as typeof doc;
    });

    it('reads the contract: its paths and problem codes', () => {
      expect(contractPaths(contract)).toEqual(
        expect.arrayContaining(['GET /confirm/{token}', 'POST /v1/withdrawals', 'POST /v1/admin/users/{userId}/unfreeze']),
      );
      expect(contractProblemCodes(contract)).toEqual(expect.arrayContaining(['validation_failed', 'token_invalid', 'verdict_unavailable']));
    });

    it('/docs-json lists every path of shared/API.md', () => {
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
      expect(contractPaths(contract).filter((p) => !documented.includes(p))).toEqual([]);
    });

    it('/docs-json has a Problem schema with every problem code of shared/API.md, and every operation answers it', () => {
      const codes = doc.components.schemas.Problem?.properties?.code?.enum ?? [];
      expect(contractProblemCodes(contract).filter((c) => !codes.includes(c))).toEqual([]);
      expect(codes.filter((c) => !(c in PROBLEM_STATUS))).toEqual([]);
      const without = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.entries(ops)
          .filter(
            ([, op]) =>
              !Object.values(op.responses ?? {}).some((r) =>
                Object.values(r.content ?? {}).some((c) => c.schema?.$ref === '#/components/schemas/Problem'),
              ),
          )
          .map(([method]) => `${method.toUpperCase()} ${path}`),
      );
      expect(without).toEqual([]);
    });
  });
});
