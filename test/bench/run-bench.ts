/**
 * `npm run bench`: the figures of issue 11, measured as a load test would, with their baselines in the
 * same run (the machine is shared: only ratios to a same-run baseline compare across runs).
 *
 * Three apps as three processes (built JavaScript), a Postgres of the machine's behind a counting wire
 * proxy, a Redis of the bench's own (its INFO commandstats and CPU are ours alone), an SMTP peer with a
 * greeting delay, a push service that checks VAPID and decrypts, thousands of enrolled customers, TOTP
 * codes per RFC 6238. Progress on stderr; one JSON document on stdout, then a small table on stderr.
 *
 * End to end: closed loops at each BENCH_IN_FLIGHT, then an open loop starting withdrawals at half the
 * peak they reached (the issue's latency target is set there).
 *
 * BENCH_CUSTOMERS (1200), BENCH_WITHDRAWALS (per closed-loop phase, 600; half of it at half the peak), BENCH_IN_FLIGHT ("16,64"),
 * BENCH_SMTP_GREETING_MS (100), BENCH_DURATION_S (autocannon phases, 8), BENCH_BUILD (1: swc build first),
 * BENCH_CPU_PROFILE_DIR (unset: when set, each app writes a V8 CPU profile there as it stops),
 * BENCH_NODE_OPTIONS (the apps' NODE_OPTIONS; unset: the production image's, read from the Dockerfile),
 * BENCH_MALLOC_ARENA_MAX (likewise; glibc's own default is 8 per core).
 */
import { verifyLedger } from '@app/database';
import autocannon from 'autocannon';
import { Queue, Worker } from 'bullmq';
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { AppName, AppProcess, imageRuntimeEnv } from '../support/app-processes';
import { ApiClient } from '../support/api-client';
import { currentStep, totpForStep } from '../support/direct-customer';
import { freePort, POSTGRES_ADMIN, TestEnvironment } from '../support/test-suite';
import { cpuMs, log, startBareRoute, OwnRedis, percentile, PostgresBackends, round, rssMb, sleep, timed } from './bench-kit';
import { SeededCustomer, seedCustomers } from '../support/bulk-customers';
import { PgWireCounter, WireCounts } from './pg-wire-counter';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 1200);
const WITHDRAWALS = Number(process.env.BENCH_WITHDRAWALS ?? 600);
const IN_FLIGHT = (process.env.BENCH_IN_FLIGHT ?? '16,64').split(',').map(Number);
const GREETING_MS = Number(process.env.BENCH_SMTP_GREETING_MS ?? 100);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROFILE_DIR;
const ROOT = join(__dirname, '..', '..');
const APPS: AppName[] = ['api', 'notification-worker', 'confirmation-service'];

interface Customer extends SeededCustomer {
  client: ApiClient;
  token: string;
  usedSteps: Set<number>;
}

/** Challenges as they arrive, by withdrawal id: the email's confirm token and the push's. */
class Inbox {
  private readonly tokens = new Map<string, string>();
  private readonly waiters = new Map<string, (token: string) => void>();

  get size(): number {
    return this.tokens.size;
  }

  put(key: string, token: string): void {
    if (this.tokens.has(key)) return;
    this.tokens.set(key, token);
    this.waiters.get(key)?.(token);
    this.waiters.delete(key);
  }

  take(key: string, timeoutMs = 60_000): Promise<string> {
    const token = this.tokens.get(key);
    if (token) return Promise.resolve(token);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no challenge for ${key} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.set(key, (t) => {
        clearTimeout(timer);
        resolve(t);
      });
    });
  }
}

/** A TOTP step this customer has not used yet and that the server still accepts (±1 step), if any. */
function freeStep(customer: Customer): number | undefined {
  const now = Date.now();
  const step = currentStep(now);
  const intoStep = now % 30_000;
  const candidates = intoStep < 20_000 ? [step - 1, step, step + 1] : [step, step + 1];
  return candidates.find((s) => !customer.usedSteps.has(s));
}

interface Snapshot {
  at: number;
  wire: WireCounts;
  redisCommands: Record<string, number>;
  cpu: Record<string, number>;
}

class Meter {
  readonly backends: PostgresBackends;

  constructor(
    private readonly env: TestEnvironment,
    private readonly wire: PgWireCounter,
    private readonly redis: OwnRedis,
    private readonly apps: AppProcess[],
  ) {
    this.backends = new PostgresBackends(env);
  }

  async snapshot(): Promise<Snapshot> {
    const cpu: Record<string, number> = {
      load_generator: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000,
      redis: cpuMs(this.redis.pid),
    };
    for (const app of this.apps) cpu[app.name] = cpuMs(app.pid!);
    await this.backends.mark();
    return { at: Date.now(), wire: this.wire.snapshot(), redisCommands: await this.redis.commands(), cpu };
  }

  /** Figures per unit of work between two snapshots (the end snapshot taken by this call). */
  async per(start: Snapshot, units: number) {
    const postgresCpu = await this.backends.since();
    const end = await this.snapshot();
    const d = (k: keyof WireCounts) => round((end.wire[k] - start.wire[k]) / units, 2);
    const cpu: Record<string, number> = {};
    for (const k of Object.keys(start.cpu)) cpu[k] = round((end.cpu[k] - start.cpu[k]) / units, 2);
    cpu.postgres = round(postgresCpu / units, 2);
    const suiteCpu = APPS.reduce((sum, a) => sum + cpu[a], 0) + cpu.redis + cpu.postgres;
    const seconds = (end.at - start.at) / 1000;
    return {
      sql_statements: d('statements'),
      sql_statements_without_transaction_control: round(
        (end.wire.statements - start.wire.statements - (end.wire.transactionControl - start.wire.transactionControl)) / units,
        2,
      ),
      commits: d('commits'),
      explicit_transactions: d('explicitTransactions'),
      rollbacks: d('rollbacks'),
      redis_commands_at_server: round((sum(Object.values(end.redisCommands)) - sum(Object.values(start.redisCommands))) / units, 1),
      redis_commands_by_name: commandsPerUnit(start.redisCommands, end.redisCommands, units),
      cpu_ms: { ...cpu, apps_postgres_redis_total: round(suiteCpu, 2) },
      cpu_busy_percent_of_machine: round(
        (100 * Object.values(end.cpu).reduce((s, v) => s + v, 0) - 100 * Object.values(start.cpu).reduce((s, v) => s + v, 0) + 100 * postgresCpu) /
          (seconds * 1000 * cpus().length),
        0,
      ),
    };
  }
}

/** `work`, unless `failure` rejects first. */
const racing = <T>(failure: Promise<never>, work: Promise<T>): Promise<T> => Promise.race([failure, work]);

const sum = (values: number[]) => values.reduce((s, v) => s + v, 0);

/** Redis commands by name per unit of work, most frequent first (those under 0.5 a unit left out). */
function commandsPerUnit(start: Record<string, number>, end: Record<string, number>, units: number): Record<string, number> {
  const per = Object.entries(end)
    .map(([name, calls]) => [name, round((calls - (start[name] ?? 0)) / units, 1)] as const)
    .filter(([, n]) => n >= 0.5)
    .sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(per);
}

/** Autocommitted one-row inserts from 8 clients, straight to Postgres, in the run's own database. */
async function postgresOneRowCommits(database: string, seconds: number, clients = 8): Promise<number> {
  const pg = new Pool({ connectionString: `${POSTGRES_ADMIN}/${database}`, max: clients });
  const table = 'bench_one_row_commits';
  await pg.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())`);
  let n = 0;
  const end = Date.now() + seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (Date.now() < end) {
          await pg.query(`INSERT INTO ${table} DEFAULT VALUES`);
          n++;
        }
      }),
    );
  } finally {
    await pg.query(`DROP TABLE ${table}`);
    await pg.end();
  }
  return n / seconds;
}

/** Raw BullMQ: jobs added (8 producers) and processed (a worker at concurrency 8), start to last completion. */
async function bullmqAddAndProcess(redisUrl: string, prefix: string, n: number): Promise<number> {
  const url = new URL(redisUrl);
  const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
  const queue = new Queue('bench-baseline', { connection, prefix });
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const worker = new Worker(
    'bench-baseline',
    () => {
      if (++done === n) finish();
      return Promise.resolve('ok');
    },
    { connection, prefix, concurrency: 8, removeOnComplete: { count: 0 } },
  );
  await worker.waitUntilReady();
  const seconds = await timed(async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next++ < n) await queue.add('noop', { i: next }, { removeOnComplete: true });
      }),
    );
    await finished;
  });
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return n / seconds;
}

function cannon(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result)));
  });
}

const rate = (r: autocannon.Result) => ({
  requests_per_s: round(r.requests.average, 0),
  p50_ms: r.latency.p50,
  p99_ms: r.latency.p99,
  non_2xx: r.non2xx,
  errors: r.errors + r.timeouts,
});

async function main(): Promise<void> {
  if (process.env.BENCH_BUILD !== '0') {
    log('building dist (swc)');
    execFileSync('npx', ['swc', 'apps', 'libs', '-d', 'dist', '--config-file', '.swcrc', '--ignore', '**/*.spec.ts,**/*.d.ts', '--quiet'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
  const redis = await new OwnRedis().start();
  const env = await new TestEnvironment({ smtp: { greetingDelayMs: GREETING_MS, keep: false } }).start({
    REDIS_URL: redis.url,
    PUBLIC_RATE_LIMIT_PER_MINUTE: '10000000',
    CUSTOMER_WRITES_PER_MINUTE: '10000000',
    PUSHES_PER_HOUR: '100000',
  });
  const wire = new PgWireCounter('127.0.0.1', Number(new URL(POSTGRES_ADMIN).port || 5432));
  const wirePort = await wire.start();
  const appEnv: Record<string, string> = {
    ...env.env,
    DATABASE_URL: `postgres://${new URL(POSTGRES_ADMIN).username || 'postgres'}@127.0.0.1:${wirePort}/${env.id}`,
  };
  // The image's node options (heap bounds) and malloc arenas unless BENCH_NODE_OPTIONS, BENCH_MALLOC_ARENA_MAX try others.
  if (process.env.BENCH_NODE_OPTIONS !== undefined) Object.assign(appEnv, { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS });
  if (process.env.BENCH_MALLOC_ARENA_MAX !== undefined) Object.assign(appEnv, { MALLOC_ARENA_MAX: process.env.BENCH_MALLOC_ARENA_MAX });
  const apps = APPS.map((name) => new AppProcess(name, appEnv, undefined, true));
  // What the apps run with (AppProcess gives a built app the image's settings, which appEnv may override).
  const appRuntime: Record<string, string> = { ...imageRuntimeEnv() };
  for (const name of ['NODE_OPTIONS', 'MALLOC_ARENA_MAX'] as const) if (appEnv[name] !== undefined) appRuntime[name] = appEnv[name];
  if (CPU_PROFILE_DIR)
    for (const app of apps) app.nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`, `--cpu-prof-name=${app.name}.cpuprofile`];
  const barePort = await freePort();
  const bareDefaultsPort = await freePort();
  let stopBare = () => Promise.resolve();
  let stopBareDefaults = () => Promise.resolve();
  const emails = new Inbox();
  const pushes = new Inbox();
  const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
  env.smtp.onMessage((mail) => {
    const text = mail.text ?? '';
    const link = /\/confirm\/([A-Za-z0-9_-]+)/.exec(text);
    if (!link) return;
    for (const [id] of text.matchAll(uuid)) emails.put(id, link[1]);
  });
  env.push.onMessage((m) => {
    if (typeof m.payload.withdrawalId === 'string' && typeof m.payload.token === 'string') pushes.put(m.payload.withdrawalId, m.payload.token);
  });
  // An app that dies mid-run fails the bench with its last lines, rather than leaving it waiting for withdrawals that never post.
  const appDied = new Promise<never>((_, reject) => {
    for (const app of apps) {
      app.onUnexpectedExit = (code, signal) =>
        reject(new Error(`${app.name} exited (${code ?? signal}) during the run; its last lines:\n${app.output.slice(-40).join('\n')}`));
    }
  });
  appDied.catch(() => undefined); // observed where it is raced; never an unhandled rejection before that
  const stopAll = async () => {
    await Promise.all([...apps.map((a) => a.stop()), stopBare(), stopBareDefaults()]);
    await wire.stop();
    await env.stop();
    await redis.stop();
  };

  try {
    log(`seeding ${CUSTOMERS} enrolled customers`);
    const seeded = await seedCustomers(env, CUSTOMERS, 'bench');
    log('starting the three apps and the bare route');
    await Promise.all(apps.map((a) => a.start()));
    stopBare = await startBareRoute(barePort, appRuntime);
    // For reference only: the same route under Node's default heap sizes and malloc arenas.
    stopBareDefaults = await startBareRoute(bareDefaultsPort, { NODE_OPTIONS: '', MALLOC_ARENA_MAX: '' });
    const base = env.env.PUBLIC_BASE_URL;
    const customers: Customer[] = await Promise.all(
      seeded.map(async (s) => {
        const token = await env.token(s.id, [], '2h');
        return { ...s, token, client: new ApiClient(base, token), usedSteps: new Set<number>() };
      }),
    );
    const meter = new Meter(env, wire, redis, apps);

    log('baselines: Postgres one-row commits (8 clients), raw BullMQ add+process');
    const pgCommits = await postgresOneRowCommits(env.id, 4);
    const bullmq = await bullmqAddAndProcess(redis.url, `${env.id}:baseline`, 5000);

    // End to end: request, both challenges answered from the peers, the TOTP code, then polls until posted.
    const e2e: Record<string, unknown> = {};
    let nextCustomer = 0;
    const busy = new Set<Customer>();
    const takeCustomer = (): Customer => {
      for (;;) {
        const customer = customers[nextCustomer++ % customers.length];
        if (!busy.has(customer)) {
          busy.add(customer);
          return customer;
        }
      }
    };
    /** The step for the customer's code, chosen when it is sent (challenges may take seconds to arrive). */
    const takeStep = async (customer: Customer): Promise<number> => {
      for (;;) {
        const step = freeStep(customer);
        if (step !== undefined) {
          customer.usedSteps.add(step);
          return step;
        }
        await sleep(500); // every acceptable step used: the next one comes within 30 s
      }
    };
    let sample: { customer: Customer; id: string } | undefined;
    /** One withdrawal requested, confirmed on its three channels and polled until posted: the ms from the last confirmation's request to `posted`. */
    const oneWithdrawal = async (): Promise<number> => {
      const customer = takeCustomer();
      const created = await customer.client.post(
        '/v1/withdrawals',
        { addressId: customer.addressId, amount: '0.0001' },
        { 'idempotency-key': `bench-${customer.id}-${Date.now()}-${Math.random()}` },
      );
      if (created.status !== 202) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
      const { id, matchCode } = created.body;
      const anon = new ApiClient(base);
      const [emailToken, pushToken] = await Promise.all([emails.take(id), pushes.take(id)]);
      for (const token of [emailToken, pushToken]) {
        const r = await anon.post('/v1/confirmations', { token, decision: 'approve', matchCode });
        if (r.status !== 200) throw new Error(`confirmation: ${r.status} ${JSON.stringify(r.body)}`);
      }
      const step = await takeStep(customer);
      const lastConfirmation = performance.now();
      let doc = (await customer.client.post(`/v1/withdrawals/${id}/totp`, { code: totpForStep(customer.totpSecret, step) })).body;
      while (doc.status !== 'posted') {
        if (doc.status !== 'pending_confirmation') throw new Error(`withdrawal ${id} ended ${JSON.stringify(doc)}`);
        await sleep(10);
        doc = (await customer.client.get(`/v1/withdrawals/${id}`)).body;
      }
      const latency = performance.now() - lastConfirmation;
      busy.delete(customer);
      sample = { customer, id };
      return latency;
    };
    /** Runs `drive` (which calls `track` with each withdrawal's latency) and reports the phase's figures. */
    const phase = async (label: string, total: number, drive: (track: (latency: Promise<number>) => Promise<void>) => Promise<void>) => {
      const latencies: number[] = [];
      const progress = setInterval(
        () => log(`  ${label}: ${latencies.length}/${total} posted (challenges received: ${emails.size} emails, ${pushes.size} pushes)`),
        5000,
      );
      const start = await meter.snapshot();
      const seconds = await timed(() =>
        racing(
          appDied,
          drive(async (latency) => void latencies.push(await latency)),
        ),
      ).finally(() => clearInterval(progress));
      latencies.sort((a, b) => a - b);
      return {
        withdrawals: latencies.length,
        seconds: round(seconds),
        confirmed_and_posted_per_s: round(latencies.length / seconds),
        last_confirmation_to_posted_ms: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
        per_posted_withdrawal: await meter.per(start, latencies.length),
      };
    };
    for (const inFlight of IN_FLIGHT) {
      log(`end to end: ${WITHDRAWALS} withdrawals, ${inFlight} in flight, SMTP greeting ${GREETING_MS} ms`);
      let started = 0;
      e2e[`in_flight_${inFlight}`] = await phase(`${inFlight} in flight`, WITHDRAWALS, async (track) => {
        await Promise.all(
          Array.from({ length: inFlight }, async () => {
            while (started++ < WITHDRAWALS) await track(oneWithdrawal());
          }),
        );
      });
    }
    // The latency target is set at half the peak: withdrawals started at that rate, whatever is in flight (an open loop).
    const peak = Math.max(...IN_FLIGHT.map((n) => (e2e[`in_flight_${n}`] as { confirmed_and_posted_per_s: number }).confirmed_and_posted_per_s));
    const halfRate = peak / 2;
    const halfTotal = Math.max(1, Math.round(WITHDRAWALS / 2));
    log(`end to end: ${halfTotal} withdrawals started at ${round(halfRate)}/s, half the peak`);
    e2e.half_peak = {
      offered_per_s: round(halfRate),
      ...(await phase('half the peak', halfTotal, async (track) => {
        const begun = performance.now();
        const running: Promise<void>[] = [];
        for (let k = 0; k < halfTotal; k++) {
          await sleep(Math.max(0, begun + (k * 1000) / halfRate - performance.now()));
          running.push(track(oneWithdrawal()));
        }
        await Promise.all(running);
      })),
    };

    log('status polls: GET /v1/withdrawals/:id 200 and 304 beside the bare route');
    const { customer, id } = sample!;
    const first = await customer.client.get(`/v1/withdrawals/${id}`);
    const etag = first.headers.get('etag')!;
    const auth = { authorization: `Bearer ${customer.token}` };
    const statusUrl = `${base}/v1/withdrawals/${id}`;
    const bareUrl = `http://127.0.0.1:${barePort}/bare/${id}`;
    const polls = { connections: 50, duration: DURATION_S };
    const bare200 = await cannon({ ...polls, url: bareUrl });
    const get200 = await cannon({ ...polls, url: statusUrl, headers: auth });
    const get304 = await cannon({ ...polls, url: statusUrl, headers: { ...auth, 'if-none-match': etag } });
    const bareAgain = await cannon({ ...polls, url: bareUrl });
    const bareRate = (bare200.requests.average + bareAgain.requests.average) / 2;
    const bareDefaults = await cannon({ ...polls, url: `http://127.0.0.1:${bareDefaultsPort}/bare/${id}` });

    log('POST /v1/withdrawals at 50 connections');
    let k = 0;
    const createStart = await meter.snapshot();
    const creates = await cannon({
      url: `${base}/v1/withdrawals`,
      connections: 50,
      duration: DURATION_S,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => {
            const c = customers[k++ % customers.length];
            return {
              ...request,
              headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json', 'idempotency-key': `load-${k}` },
              body: JSON.stringify({ addressId: c.addressId, amount: '0.0001' }),
            };
          },
        },
      ],
    });
    const createCount = creates['2xx'];
    const perCreate = await meter.per(createStart, createCount);
    const pgCommitsAfter = await postgresOneRowCommits(env.id, 4);

    const rss: Record<string, { now: number; peak: number }> = {};
    for (const app of apps) rss[app.name] = rssMb(app.pid!);
    const faults = await verifyLedger(env.admin);
    const pgBaseline = (pgCommits + pgCommitsAfter) / 2;
    const e2eTop = e2e[`in_flight_${IN_FLIGHT[IN_FLIGHT.length - 1]}`] as { confirmed_and_posted_per_s: number };

    const report = {
      machine: { cpus: cpus().length, node: process.version, shared: 'yes: other agents run on it; compare ratios, not absolutes' },
      setup: { customers: CUSTOMERS, withdrawals_per_phase: WITHDRAWALS, smtp_greeting_delay_ms: GREETING_MS, autocannon_duration_s: DURATION_S },
      baselines: {
        postgres_one_row_commits_per_s_8_clients: round(pgBaseline, 0),
        bullmq_add_and_process_jobs_per_s: round(bullmq, 0),
        bare_nest_fastify_route: {
          requests_per_s: round(bareRate, 0),
          runtime: appRuntime,
          first: rate(bare200),
          second: rate(bareAgain),
          with_node_defaults: rate(bareDefaults),
        },
      },
      end_to_end: e2e,
      status_polls: { get_200: rate(get200), get_304: rate(get304) },
      create_withdrawals_50_connections: { ...rate(creates), per_created_withdrawal: perCreate },
      rss_mb: rss,
      ledger_verification: faults.length ? faults : 'clean',
      ratios: {
        get_200_to_bare_route: round(get200.requests.average / bareRate, 3),
        get_304_to_bare_route: round(get304.requests.average / bareRate, 3),
        creates_to_postgres_commits: round(creates.requests.average / pgBaseline, 4),
        posted_to_postgres_commits: round(e2eTop.confirmed_and_posted_per_s / pgBaseline, 4),
        posted_to_bullmq_jobs: round(e2eTop.confirmed_and_posted_per_s / bullmq, 4),
      },
    };
    console.log(JSON.stringify(report, null, 2));
    printTable(report);
  } finally {
    await stopAll();
  }
}

function printTable(report: any): void {
  const rows: [string, string][] = [];
  for (const [phase, r] of Object.entries<any>(report.end_to_end)) {
    rows.push([
      `posted /s, ${phase.replace(/_/g, ' ')}`,
      `${r.confirmed_and_posted_per_s} (p99 last confirmation→posted ${r.last_confirmation_to_posted_ms.p99} ms)`,
    ]);
    const p = r.per_posted_withdrawal;
    rows.push([
      `  per posted withdrawal`,
      `${p.sql_statements} stmts, ${p.commits} commits, ${p.explicit_transactions} tx, ${p.redis_commands_at_server} redis, ${p.cpu_ms.apps_postgres_redis_total} ms CPU, machine ${p.cpu_busy_percent_of_machine}% busy`,
    ]);
  }
  rows.push(['GET 200 /s (ratio to bare)', `${report.status_polls.get_200.requests_per_s} (${report.ratios.get_200_to_bare_route})`]);
  rows.push(['GET 304 /s (ratio to bare)', `${report.status_polls.get_304.requests_per_s} (${report.ratios.get_304_to_bare_route})`]);
  rows.push([
    'bare route /s',
    `${report.baselines.bare_nest_fastify_route.requests_per_s} (with Node's default heap: ${report.baselines.bare_nest_fastify_route.with_node_defaults.requests_per_s})`,
  ]);
  rows.push([
    'POST /v1/withdrawals /s, 50 conns',
    `${report.create_withdrawals_50_connections.requests_per_s} p99 ${report.create_withdrawals_50_connections.p99_ms} ms (ratio to pg commits ${report.ratios.creates_to_postgres_commits})`,
  ]);
  rows.push(['pg one-row commits /s', `${report.baselines.postgres_one_row_commits_per_s_8_clients}`]);
  rows.push(['BullMQ add+process /s', `${report.baselines.bullmq_add_and_process_jobs_per_s}`]);
  rows.push([
    'RSS peak MB',
    Object.entries<any>(report.rss_mb)
      .map(([k, v]) => `${k} ${v.peak}`)
      .join(', '),
  ]);
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stderr.write(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n');
}

main().catch((error) => {
  console.error(`bench failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
