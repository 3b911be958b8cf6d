import { ApiClient, ApiResponse } from './api-client';
import { codeForStep, enrolCustomer, EnrolledCustomer, EnrolmentOptions, TestCustomer } from './customer-factory';

export { codeForStep };
import { TEST_METRICS_CREDENTIALS, TestEnvironment } from './test-suite';

/**
 * Helpers for the attack tests: absolute TOTP steps (so a test knows exactly which steps a customer has
 * already burnt), customers enrolled on chosen steps, operators, the audit log, and polling.
 */

export const STEP_MS = 30_000;

export function currentStep(now = Date.now()): number {
  return Math.floor(now / STEP_MS);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The current step, after waiting for the next one if fewer than `minRemainingMs` are left in it: work that
 * depends on "the server's step is S" then has that long to run before the step rolls over.
 */
export async function freshStep(minRemainingMs = 15_000): Promise<number> {
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < minRemainingMs) await sleep(left + 100);
  return currentStep();
}

/** Throws (it is a precondition, not an assertion) if the step moved on while a step-sensitive check ran. */
export function assertStillStep(step: number, what: string): void {
  if (currentStep() !== step) throw new Error(`precondition broken: the TOTP step rolled over during "${what}"; rerun`);
}

export interface AttackCustomer extends EnrolledCustomer {
  usedSteps: number[];
}

/**
 * enrolCustomer with the two enrolment codes (activation, address) taken from the absolute steps given,
 * so tests decide which of the ±1 window's steps stay free for them.
 */
export async function enrolOnSteps(env: TestEnvironment, baseUrl: string, options: EnrolmentOptions = {}): Promise<AttackCustomer> {
  const now = currentStep();
  const activationStep = options.activationStep ?? now - 1;
  const addressStep = options.addressStep ?? now;
  if (activationStep === addressStep) throw new Error('activation and address codes need two distinct steps');
  const customer = await enrolCustomer(env, baseUrl, { ...options, activationStep, addressStep });
  return { ...customer, usedSteps: [activationStep, addressStep] };
}

export async function operatorClient(env: TestEnvironment, baseUrl: string): Promise<ApiClient> {
  return Promise.resolve(env.operator(baseUrl, 'op'));
}

export interface AuditItem {
  id: string;
  at: string;
  actor: string;
  event: string;
  userId: string | null;
  withdrawalId: string | null;
  detail: Record<string, unknown>;
}

/** The audit log as an operator reads it over the API (newest first, first page). */
export async function auditOf(
  env: TestEnvironment,
  baseUrl: string,
  query: { userId?: string; withdrawalId?: string; event?: string },
): Promise<AuditItem[]> {
  const op = await operatorClient(env, baseUrl);
  const qs = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => Boolean(entry[1]))).toString();
  const r = await op.get(`/v1/admin/audit?${qs}`);
  if (r.status !== 200) throw new Error(`audit: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.items;
}

export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(100);
  }
}

export async function balanceOf(customer: TestCustomer, asset = 'BTC'): Promise<{ available: string; held: string }> {
  const r = await customer.client.get('/v1/me/balances');
  const row = (r.body as { asset: string; available: string; held: string }[]).find((b) => b.asset === asset);
  return row ? { available: row.available, held: row.held } : { available: '0', held: '0' };
}

/** Ledger transfers of one withdrawal by kind, read as the superuser. */
export async function transfersOf(env: TestEnvironment, withdrawalId: string): Promise<Record<string, number>> {
  const rows: { kind: string; n: number }[] = await env.admin.query(
    'SELECT kind, count(*)::int AS n FROM ledger_transfers WHERE withdrawal_id = $1 GROUP BY kind',
    [withdrawalId],
  );
  return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
}

/** The status document as its owner sees it. */
export async function statusOf(customer: TestCustomer, withdrawalId: string): Promise<any> {
  const r = await customer.client.get(`/v1/withdrawals/${withdrawalId}`);
  if (r.status !== 200) throw new Error(`status of ${withdrawalId}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Every problem answer must be RFC 9457 with the stable code. */
export function problemCode(r: ApiResponse): string | undefined {
  const type = r.headers.get('content-type') ?? '';
  return type.startsWith('application/problem+json') ? (r.body as { code?: string }).code : undefined;
}

export function tally(values: (string | number)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}

/** Waits until the given jobs have finished (completed or failed); returns their return values / failure reasons. */
export async function settledJobs(
  queue: import('bullmq').Queue,
  ids: string[],
  timeoutMs = 15_000,
): Promise<{ id: string; state: string; value: unknown }[]> {
  const out: { id: string; state: string; value: unknown }[] = [];
  for (const id of ids) {
    let state = '';
    await waitUntil(
      async () => {
        state = (await (await queue.getJob(id))?.getState()) ?? 'missing';
        return state === 'completed' || state === 'failed';
      },
      timeoutMs,
      `job ${id} to finish`,
    );
    const job = (await queue.getJob(id))!;
    out.push({ id, state, value: state === 'completed' ? job.returnvalue : job.failedReason });
  }
  return out;
}

/** Waits until a queue has nothing waiting, active or delayed-and-due (prioritized included). */
export async function queueIdle(queue: import('bullmq').Queue, timeoutMs = 15_000): Promise<void> {
  await waitUntil(
    async () => {
      const c = await queue.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children');
      return Object.values(c).every((n) => n === 0);
    },
    timeoutMs,
    `queue ${queue.name} to go idle`,
  );
}

/** The value of one sample in Prometheus text format, 0 when absent. */
export async function metricValue(baseUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  const { user, password } = TEST_METRICS_CREDENTIALS;
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const text = await (await fetch(`${baseUrl}/metrics`, { headers: { authorization } })).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf('}'));
    const have = inside.split(',');
    if (want.every((w) => have.includes(w))) return Number(line.slice(line.indexOf('}') + 1).trim());
  }
  return 0;
}
