import { newTotpSecret, sealTotpSecret } from '@app/crypto';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { freePort, TestEnvironment } from '../support/test-suite';

/** Shared by `npm run bench` and `npm run bench:scale`: processes, counters and bulk seeding. */

export const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

export async function timed(work: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export const round = (n: number, digits = 1) => Number(n.toFixed(digits));

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU milliseconds (user + system) a process has used so far; 0 once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Resident set now and at its peak (VmHWM), in MB. */
export function rssMb(pid: number): { now: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { now: round(kb('VmRSS') / 1024), peak: round(kb('VmHWM') / 1024) };
  } catch {
    return { now: 0, peak: 0 };
  }
}

/** A redis-server of the bench's own: its INFO commandstats and its CPU are the suite's alone. */
export class OwnRedis {
  private child?: ChildProcess;
  private dir = '';
  port = 0;
  client!: IORedis;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child!.pid!;
  }

  async start(): Promise<this> {
    this.port = await freePort();
    this.dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    this.client = new IORedis({ host: '127.0.0.1', port: this.port, maxRetriesPerRequest: null, lazyConnect: true });
    this.client.on('error', () => undefined); // refused until the server listens: retried below
    for (let i = 0; ; i++) {
      try {
        await this.client.connect();
        await this.client.ping();
        return this;
      } catch (error) {
        if (i > 50) throw error;
        this.client.disconnect();
        await sleep(100);
      }
    }
  }

  /** Commands executed so far, scripts' own calls included (what INFO commandstats counts). */
  async commands(): Promise<number> {
    const info = await this.client.info('commandstats');
    let calls = 0;
    for (const match of info.matchAll(/calls=(\d+)/g)) calls += Number(match[1]);
    return calls - 1; // this INFO itself
  }

  async stop(): Promise<void> {
    this.client?.disconnect();
    const child = this.child;
    if (child && child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The bare Nest + Fastify route (bare-route.ts) as its own process; resolves with its stop. */
export async function startBareRoute(port: number): Promise<() => Promise<void>> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'bare-route.ts')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => /listening/.test(d.toString()) && resolve());
    child.once('exit', (code) => reject(new Error(`bare route exited ${code}`)));
  });
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

/** CPU of this run's Postgres backends: those connected to its database (their pids from pg_stat_activity). */
export class PostgresBackends {
  private readonly start = new Map<number, number>();

  constructor(private readonly env: TestEnvironment) {}

  private async pids(): Promise<number[]> {
    const rows: { pid: number }[] = await this.env.admin.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
    return rows.map((r) => r.pid);
  }

  async mark(): Promise<void> {
    this.start.clear();
    for (const pid of await this.pids()) this.start.set(pid, cpuMs(pid));
  }

  /** CPU ms since mark(), over the backends alive now (one that ended in between is not counted). */
  async since(): Promise<number> {
    let total = 0;
    for (const pid of await this.pids()) total += cpuMs(pid) - (this.start.get(pid) ?? 0);
    return total;
  }
}

export interface SeededCustomer {
  id: string;
  email: string;
  totpSecret: string;
  addressId: string;
}

/**
 * Enrolled customers written in bulk by the administrator, as createCustomerDirect writes one (verified
 * email, active TOTP sealed to the confirmation service, one push device, one usable address) and
 * credited through the ledger's own entry point.
 */
export async function seedCustomers(env: TestEnvironment, count: number, prefix: string, deposit = '10', batch = 500): Promise<SeededCustomer[]> {
  const customers: SeededCustomer[] = [];
  for (let from = 0; from < count; from += batch) {
    const rows = Array.from({ length: Math.min(batch, count - from) }, (_, k) => {
      const id = `${prefix}-${from + k}`;
      const subscription = env.push.newSubscription();
      const totpSecret = newTotpSecret();
      return {
        id,
        email: `${id}@example.test`,
        totpSecret,
        sealed: sealTotpSecret(totpSecret, env.env.TOTP_SEAL_PUBLIC_KEY),
        endpoint: subscription.endpoint,
        p256dh: subscription.keys.p256dh,
        auth: subscription.keys.auth,
        address: `bc1q${id.replace(/[^a-z0-9]/g, '')}${from + k}`,
      };
    });
    const col = (k: keyof (typeof rows)[number]) => rows.map((r) => r[k]);
    const inserted: { user_id: string; id: string }[] = await env.admin.query(
      `WITH d AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                    AS d(id, email, sealed, endpoint, p256dh, auth, address)),
            u AS (INSERT INTO users (id, email, email_verified_at) SELECT id, email, now() FROM d),
            t AS (INSERT INTO totp_enrolments (user_id, sealed_secret, status, activated_at) SELECT id, sealed, 'active', now() FROM d),
            p AS (INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) SELECT id, endpoint, p256dh, auth FROM d)
       INSERT INTO withdrawal_addresses (user_id, asset, network, address, label, usable_at)
         SELECT id, 'BTC', 'bitcoin', address, 'bench wallet', now() FROM d RETURNING user_id, id`,
      [col('id'), col('email'), col('sealed'), col('endpoint'), col('p256dh'), col('auth'), col('address')],
    );
    await env.admin.query(`SELECT ledger_credit_deposit(u, 'BTC', $2, 'dep-' || u) FROM unnest($1::text[]) u`, [col('id'), deposit]);
    const addressOf = new Map(inserted.map((r) => [r.user_id, r.id]));
    for (const r of rows) customers.push({ id: r.id, email: r.email, totpSecret: r.totpSecret, addressId: addressOf.get(r.id)! });
  }
  return customers;
}
