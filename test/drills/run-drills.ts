/**
 * `npm run drills` (`-- --short`, or DRILLS=short, for CI; `-- --only=redis-empty,postgres-cut` for some):
 * the suite as three processes under a steady load of customers, one fault at a time, and after each one
 * the invariants asserted. Prints one JSON document per drill on stdout, progress on stderr; exits 1 when
 * any check failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../support/ledger-checks';
import {
  Check,
  checkDrill,
  emailLatencies,
  emailSentLatencies,
  EXPIRY_GRACE_MS,
  handedOffCount,
  HealthSample,
  percentile,
  withdrawalRows,
} from './drill-checks';
import { DrillLoad, Flow } from './drill-load';
import { DrillWorld } from './drill-world';
import { Drill, DRILLS, DrillContext, timings } from './drills';

const args = process.argv.slice(2);
const short = args.includes('--short') || process.env.DRILLS === 'short';
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const started = Date.now();
const log = (line: string) => process.stderr.write(`drills ${(((Date.now() - started) / 1000) | 0).toString().padStart(4)}s: ${line}\n`);

/** GET /health once a second, each with its time to answer (0: no answer within 3 s). */
class HealthProbe {
  readonly samples: HealthSample[] = [];
  private running = false;
  private loop?: Promise<void>;

  constructor(private readonly baseUrl: string) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const at = Date.now();
        let status: number;
        let state: string | undefined;
        try {
          const response = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(3000) });
          status = response.status;
          state = ((await response.json().catch(() => ({}))) as { status?: string }).status;
        } catch {
          status = 0;
        }
        this.samples.push({ at, status, state, ms: Date.now() - at });
        await sleep(Math.max(0, 1000 - (Date.now() - at)));
      }
    })();
  }

  async stop(): Promise<HealthSample[]> {
    this.running = false;
    await this.loop;
    return this.samples;
  }
}

const count = <T>(items: T[], key: (t: T) => string | number) =>
  items.reduce<Record<string, number>>((acc, t) => ((acc[String(key(t))] = (acc[String(key(t))] ?? 0) + 1), acc), {});

async function openWithdrawals(world: DrillWorld): Promise<number> {
  const [{ n }] = await world.env.admin.query(`SELECT count(*)::int AS n FROM withdrawals WHERE status = 'pending_confirmation'`);
  return n;
}

/** Waits until `done` or the deadline; says how long it took (undefined: never). */
async function until(done: () => Promise<boolean>, timeoutMs: number): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await done()) return Date.now() - start;
    await sleep(500);
  }
  return undefined;
}

async function runDrill(drill: Drill, c: DrillContext): Promise<{ figures: Record<string, unknown>; checks: Check[] }> {
  const { world, load, t } = c;
  const phase = (p: string) => log(`${drill.name}: ${p}`);
  const startedAt = Date.now();
  load.drill = drill.name;
  await drill.prepare?.(c);
  const health = new HealthProbe(world.baseUrl);
  health.start();
  phase('warm-up under load');
  load.twoChannelFlows = true;
  load.start();
  await sleep(t.warmupMs);

  const inFlight = await openWithdrawals(world);
  const postedBefore = (await withdrawalRows(world)).filter((r) => r.status === 'posted').length;
  phase(`fault: ${drill.fault} (${inFlight} withdrawals in flight)`);
  const faultStart = Date.now();
  const lasts = await drill.begin(c);
  await sleep(lasts);
  const faultEnd = Date.now();
  load.twoChannelFlows = false;
  phase('fault over: restoring');
  await drill.end(c);
  const restoredMs = Date.now() - faultEnd;
  await sleep(t.afterMs);

  phase('load stopped: customers finishing the withdrawals in hand');
  await load.stop();
  const mine = load.flows.filter((f) => f.drill === drill.name);
  // Every other two-channel withdrawal still open gets its last confirmation now; the rest are left to expire.
  const late: Flow[] = [];
  const rows = new Map((await withdrawalRows(world)).map((r) => [r.id, r]));
  for (const [i, f] of mine.filter((f) => f.plan === 'two').entries()) {
    const r = rows.get(f.id);
    if (
      i % 2 === 0 &&
      r?.status === 'pending_confirmation' &&
      r.expires_at.getTime() - Date.now() > 6_000 &&
      (f.missing !== 'totp' || load.hasFreshCode(f.customer))
    ) {
      f.late = true;
      late.push(f);
    }
  }
  phase(`late confirmations: ${late.length} (the other two-channel ones are left to expire)`);
  await Promise.all(late.map((f) => load.confirmLate(f)));
  const posted = (await withdrawalRows(world, startedAt)).filter((r) => r.status === 'posted');
  await until(() => Promise.resolve(posted.every((r) => world.wallet.received.has(r.id))), 60_000);
  // The wallet's completion is recorded by the confirmation service (at once, or by the reconciler).
  await until(
    async () =>
      ((await handedOffCount(
        world,
        posted.map((r) => r.id),
      )) ?? posted.length) >= posted.length,
    30_000,
  );
  await health.stop();

  phase('checking');
  const checks = await checkDrill(world, load, {
    name: drill.name,
    startedAt,
    faultStart,
    faultEnd,
    health: health.samples,
    unhealthyAfterMs: drill.unhealthyAfterMs,
    expectDegraded: !!drill.expectDegraded,
    emailLatencyBoundMs: drill.emailLatencyBoundMs,
  });

  const all = await withdrawalRows(world);
  const ofDrill = all.filter((r) => mine.some((f) => f.id === r.id));
  const firstPosting = all
    .filter((r) => r.posted_at && r.posted_at.getTime() >= faultEnd)
    .map((r) => r.posted_at!.getTime())
    .sort((a, b) => a - b)[0];
  const backlog = mine.filter((f) => f.createdAt < faultEnd);
  // A flow is through when its customer saw it through and, if it posted, the wallet has it.
  const through = (f: Flow) =>
    f.settledAt === undefined
      ? undefined
      : f.plan === 'three'
        ? Math.max(f.settledAt, world.wallet.firstReceivedAt.get(f.id) ?? Infinity)
        : f.settledAt;
  const unsettled = backlog.filter((f) => !Number.isFinite(through(f) ?? Infinity)).length;
  const lastSettled = Math.max(faultEnd, ...backlog.map((f) => through(f) ?? 0).filter(Number.isFinite));
  const latencies = emailLatencies(mine, faultStart, faultEnd);
  const figures = {
    drill: drill.name,
    fault: drill.fault,
    fault_seconds: Number(((faultEnd - faultStart) / 1000).toFixed(1)),
    restore_seconds: Number((restoredMs / 1000).toFixed(1)),
    in_flight_at_fault: inFlight,
    created: mine.length,
    posted: ofDrill.filter((r) => r.status === 'posted').length,
    posted_during_fault: all.filter((r) => r.posted_at && r.posted_at.getTime() >= faultStart && r.posted_at.getTime() < faultEnd).length,
    handed_off_to_wallet: ofDrill.filter((r) => r.status === 'posted' && world.wallet.received.has(r.id)).length,
    handed_off_recorded:
      (await handedOffCount(
        world,
        ofDrill.filter((r) => r.status === 'posted').map((r) => r.id),
      )) ?? 'not recorded by this version',
    wallet_deliveries_repeated: ofDrill.filter((r) => (world.wallet.received.get(r.id)?.length ?? 0) > 1).length,
    expired: ofDrill.filter((r) => r.status === 'expired').length,
    confirmed_late: late.length,
    recovery: {
      fault_end_to_first_posting_s: firstPosting === undefined ? null : Number(((firstPosting - faultEnd) / 1000).toFixed(2)),
      fault_end_to_backlog_cleared_s: unsettled ? null : Number(((lastSettled - faultEnd) / 1000).toFixed(2)),
      backlog_at_fault_end: backlog.length,
      backlog_never_cleared: unsettled,
    },
    email_p95_during_fault_ms: percentile(latencies, 0.95) ?? null,
    // The same from the message's Date header (set by the notification worker as it sends; whole seconds).
    email_sent_p95_during_fault_ms: percentile(emailSentLatencies(load, mine, faultStart, faultEnd), 0.95) ?? null,
    creation_p95_ms:
      percentile(
        mine.map((f) => load.creationMs.get(f.id) ?? 0),
        0.95,
      ) ?? null,
    challenge_emails_sent_twice: ofDrill.filter((r) => load.emailsFor(r.id).length > 1).length,
    creation_answers: count(
      load.creations.filter((x) => x.at >= startedAt),
      (x) => x.status,
    ),
    health_during_fault: count(
      health.samples.filter((h) => h.at >= faultStart && h.at <= faultEnd),
      (h) => `${h.status} ${h.state ?? ''}`.trim(),
    ),
    health_slowest_ms: Math.max(0, ...health.samples.map((h) => h.ms)),
    postings_before: postedBefore,
    passed: checks.every((x) => x.ok),
    failed_checks: checks.filter((x) => !x.ok),
  };
  await drill.cleanup?.(c);
  await world.reviveTheDead(startedAt);
  return { figures, checks };
}

async function main(): Promise<void> {
  const t = timings(short);
  const selected = DRILLS.filter((d) => !only || only.includes(d.name));
  if (only && selected.length !== only.length) throw new Error(`unknown drill in --only; the drills: ${DRILLS.map((d) => d.name).join(', ')}`);
  log(`${short ? 'short' : 'full'} run: ${selected.map((d) => d.name).join(', ')}`);
  const world = new DrillWorld(t.appEnv, log);
  // Interrupted: still stop the apps and Redis, and drop the database.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void world.stop().finally(() => process.exit(130));
    });
  const results: Record<string, unknown>[] = [];
  let failed = 0;
  try {
    log('starting Redis, the proxies, the peers and the three apps');
    await world.start();
    const load = new DrillLoad(world, { customers: t.customers, challengeWaitMs: t.windowMs + 30_000, log });
    log(`enrolling ${t.customers} customers`);
    await load.enrol();
    const context: DrillContext = { world, load, t, log };
    for (const drill of selected) {
      const { figures, checks } = await runDrill(drill, context);
      results.push(figures);
      console.log(JSON.stringify(figures, null, 2));
      for (const x of checks.filter((x) => !x.ok)) {
        failed++;
        log(`${drill.name}: FAILED: ${x.name}: ${JSON.stringify(x.detail)}`);
      }
      log(`${drill.name}: ${checks.every((x) => x.ok) ? 'passed' : 'FAILED'} (${checks.filter((x) => x.ok).length}/${checks.length} checks)`);
    }
    // The last withdrawals left to expire: waited for once, here, rather than after every drill.
    log(`final: waiting for the last open withdrawals to expire (window ${t.windowMs / 1000} s)`);
    const endedIn = await until(async () => (await openWithdrawals(world)) === 0, t.windowMs + EXPIRY_GRACE_MS + 30_000);
    const final = await checkDrill(world, load, {
      name: 'final',
      startedAt: Date.now(),
      faultStart: Date.now(),
      faultEnd: Date.now(),
      health: [],
    });
    if (endedIn === undefined) final.push({ name: 'every withdrawal ended', ok: false, detail: { open: await openWithdrawals(world) } });
    const finalFigures = {
      drill: 'final',
      open_left: await openWithdrawals(world),
      passed: final.every((x) => x.ok),
      failed_checks: final.filter((x) => !x.ok),
    };
    results.push(finalFigures);
    console.log(JSON.stringify(finalFigures, null, 2));
    for (const x of final.filter((x) => !x.ok)) {
      failed++;
      log(`final: FAILED: ${x.name}: ${JSON.stringify(x.detail)}`);
    }
    log(`final: ${final.every((x) => x.ok) ? 'passed' : 'FAILED'} (${final.filter((x) => x.ok).length}/${final.length} checks)`);
    load.close();
  } finally {
    log('stopping');
    await world.stop();
    mkdirSync(join(__dirname, '..', '..', 'test-artifacts'), { recursive: true });
    writeFileSync(join(__dirname, '..', '..', 'test-artifacts', `drills-${short ? 'short' : 'full'}.json`), JSON.stringify(results, null, 2));
  }
  log(failed ? `${failed} check(s) failed` : `all drills passed in ${((Date.now() - started) / 1000) | 0} s`);
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  log(`drills failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
