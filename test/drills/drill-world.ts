import { dropDatabase } from '@app/database';
import { QueueName, redisConnection } from '@app/queue';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { AppName, AppProcess } from '../support/app-processes';
import { TcpProxy } from '../support/tcp-proxy';
import { freePort, TestEnvironment } from '../support/test-suite';
import { walletAccepts } from '../support/wallet';
import { DrillRedis } from './drill-redis';

export type AppSlot = AppName | 'confirmation-service-2';

/** The exchange's wallet as the drills play it: consumes `withdrawals-posted`, checks each job, counts per withdrawal. */
export class DrillWallet {
  /** withdrawalId → the transfer ids of every job received for it (a re-delivery repeats the same one). */
  readonly received = new Map<string, string[]>();
  /** withdrawalId → when the first job for it arrived. */
  readonly firstReceivedAt = new Map<string, number>();
  readonly refused: string[] = [];
  private worker?: Worker;

  constructor(
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly confirmerPublicKey: string,
  ) {}

  async start(): Promise<void> {
    this.worker = new Worker(
      QueueName.WithdrawalsPosted,
      (job: Job) => {
        if (!walletAccepts({ name: job.name, id: job.id, data: job.data }, this.confirmerPublicKey)) {
          this.refused.push(String(job.id));
          return Promise.reject(new UnrecoverableError('signature does not verify'));
        }
        const { withdrawalId, transferId } = job.data as { withdrawalId: string; transferId: string };
        if (!this.firstReceivedAt.has(withdrawalId)) this.firstReceivedAt.set(withdrawalId, Date.now());
        this.received.set(withdrawalId, [...(this.received.get(withdrawalId) ?? []), String(transferId)]);
        return Promise.resolve('broadcast');
      },
      { connection: redisConnection(this.redisUrl), prefix: this.prefix, concurrency: 4 },
    );
    this.worker.on('error', () => undefined); // Redis going away is the drill, not news
    await this.worker.waitUntilReady();
  }

  /** A wallet that is behind: jobs wait in Redis for it. */
  pause(): Promise<void> {
    return this.worker?.pause(true) ?? Promise.resolve();
  }

  async resume(): Promise<void> {
    await this.worker?.resume();
  }

  async stop(): Promise<void> {
    await this.worker?.close(true);
  }
}

/**
 * Everything a drill needs, none of it shared with the machine: the three apps as processes, the drill's
 * own Redis, the machine's Postgres reached through a proxy the drill can cut (with a database of the
 * drill's own), an SMTP peer behind a proxy that can refuse, a push service, and the wallet.
 */
export class DrillWorld {
  readonly env = new TestEnvironment();
  redis!: DrillRedis;
  postgres!: TcpProxy;
  smtpRelay!: TcpProxy;
  wallet!: DrillWallet;
  readonly apps = new Map<AppSlot, AppProcess>();
  /** Lines the apps wrote, kept for the checks (e.g. raw error stacks). */
  readonly logs: { app: AppSlot; at: number; line: string }[] = [];
  /** Apps that died without being killed by a drill: one app's fault must never take another down. */
  readonly deaths: { app: AppSlot; at: number; how: string; lastLines: string[] }[] = [];
  baseUrl = '';

  constructor(
    private readonly appEnv: Record<string, string>,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    this.redis = await new DrillRedis(await freePort()).start();
    await this.env.start({ ...this.appEnv, REDIS_URL: this.redis.url });
    const pg = new URL(this.env.databaseUrl);
    this.postgres = new TcpProxy(pg.hostname, Number(pg.port || 5432));
    const proxied = new URL(await this.postgres.start('postgres'));
    // The apps reach Postgres only through the proxy: their role URLs are derived from this one.
    this.env.env.DATABASE_URL = `postgres://${pg.username}${pg.password ? `:${pg.password}` : ''}@${proxied.host}${pg.pathname}`;
    const smtp = new URL(this.env.smtp.url);
    this.smtpRelay = new TcpProxy(smtp.hostname, Number(smtp.port));
    this.env.env.SMTP_URL = await this.smtpRelay.start('smtp');
    this.baseUrl = this.env.env.PUBLIC_BASE_URL;
    this.wallet = new DrillWallet(this.redis.url, this.env.id, this.env.env.CONFIRMER_SIGNING_PUBLIC_KEY);
    await this.wallet.start();
    for (const app of ['api', 'notification-worker', 'confirmation-service'] as const) await this.startApp(app);
  }

  async startApp(slot: AppSlot): Promise<AppProcess> {
    const name: AppName = slot === 'confirmation-service-2' ? 'confirmation-service' : slot;
    const process = new AppProcess(name, { ...this.env.env, HOST: '127.0.0.1' }, (line) => this.logs.push({ app: slot, at: Date.now(), line }));
    process.onUnexpectedExit = (code, signal) => {
      const death = { app: slot, at: Date.now(), how: String(code ?? signal), lastLines: process.output.slice(-12) };
      this.deaths.push(death);
      this.log(`${slot} DIED on its own (${death.how}); its last lines:\n  ${death.lastLines.join('\n  ')}`);
    };
    this.apps.set(slot, process);
    const started = Date.now();
    await process.start(120_000);
    this.log(`${slot} ready (pid ${process.pid}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return process;
  }

  /** Restarts every app that died on its own, so that the next drill starts whole. */
  async reviveTheDead(since: number): Promise<void> {
    for (const slot of new Set(this.deaths.filter((d) => d.at >= since).map((d) => d.app))) {
      if (slot === 'confirmation-service-2') continue;
      this.log(`restarting ${slot}, which died on its own`);
      await this.startApp(slot);
    }
  }

  app(slot: AppSlot): AppProcess {
    const process = this.apps.get(slot);
    if (!process) throw new Error(`${slot} is not running`);
    return process;
  }

  /** A queue on the drill's Redis, for reading job states. */
  queue(name: QueueName): Queue {
    return new Queue(name, { connection: redisConnection(this.redis.url), prefix: this.env.id });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.apps.values()].map((p) => p.stop()));
    await this.wallet?.stop().catch(() => undefined);
    await this.env.admin?.destroy();
    await this.postgres?.stop().catch(() => undefined);
    await dropDatabase(this.env.databaseUrl).catch((error: Error) => this.log(`could not drop ${this.env.id}: ${error.message}`));
    await this.smtpRelay?.stop().catch(() => undefined);
    await Promise.all([this.env.smtp.stop(), this.env.push.stop()]);
    await this.redis?.stop();
  }
}
