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

  /** Commands executed so far by name, scripts' own calls included (what INFO commandstats counts). */
  async commands(): Promise<Record<string, number>> {
    const info = await this.client.info('commandstats');
    const calls: Record<string, number> = {};
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]] = Number(match[2]);
    calls.info -= 1; // this INFO itself
    return calls;
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
/**
 * The bare route as its own process, with `runtime` (NODE_OPTIONS, MALLOC_ARENA_MAX) as the apps have
 * theirs: compared with the API, it then differs by the route alone, not by heap bounds as well.
 */
export async function startBareRoute(port: number, runtime: Record<string, string> = {}): Promise<() => Promise<void>> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...runtime, PORT: String(port) };
  // An empty value leaves the setting out (Node's, glibc's own default).
  for (const [name, value] of Object.entries(runtime)) if (value === '') delete env[name];
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'bare-route.ts')], {
    env,
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
