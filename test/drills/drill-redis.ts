import IORedis from 'ioredis';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The drill's own `redis-server`: on a port of its own, with its own directory and the append-only file on
 * (as production runs it), so that the drills can kill it, bring it back with its data, or bring it back
 * empty — and never go near the machine's Redis.
 */
export class DrillRedis {
  private child?: ChildProcess;
  private dir = '';

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (!this.dir) this.dir = await mkdtemp(join(tmpdir(), 'countersign-drill-redis-'));
    const child = spawn(
      'redis-server',
      [
        '--port', String(this.port),
        '--bind', '127.0.0.1',
        '--dir', this.dir,
        '--appendonly', 'yes',
        '--appendfsync', 'everysec',
        '--save', '',
        '--maxmemory-policy', 'noeviction',
        '--protected-mode', 'no',
        '--loglevel', 'warning',
      ], // prettier-ignore
      { stdio: 'ignore' },
    );
    this.child = child;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server on ${this.port} exited with ${child.exitCode}`);
      if (await this.answers()) return this;
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not answer`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Whether it answers PING within half a second. */
  async answers(): Promise<boolean> {
    const probe = new IORedis({
      port: this.port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 500,
    });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }

  /** SIGKILL: no shutdown save, no goodbye. What it had written to its AOF is all that survives. */
  kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Everything it had on disk gone: the next start is an empty Redis (a failover to an empty replica). */
  async forget(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    this.dir = '';
  }

  async stop(): Promise<void> {
    await this.kill();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
