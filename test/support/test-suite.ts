import { AppConfig, AppRole, generateDevKeys, loadConfig } from '@app/config';
import { dropDatabase, migrateDatabase } from '@app/database';
import { appWorkers, QueueName, redisConnection } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { DiscoveryService, NestFactory } from '@nestjs/core';
import IORedis from 'ioredis';
import { SignJWT } from 'jose';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database';
import { createApiApp } from '../../apps/api/src/api-app';
import { ConfirmationServiceModule } from '../../apps/confirmation-service/src/confirmation-service.module';
import { NotificationWorkerModule } from '../../apps/notification-worker/src/notification-worker.module';
import { ApiClient } from './api-client';
import { TestPushService } from './push-service';
import { SmtpCatcher } from './smtp-catcher';

export const POSTGRES_ADMIN = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The operators' credentials for /metrics in every test environment. */
export const TEST_METRICS_CREDENTIALS = { user: 'metrics', password: 'metrics-in-tests' };

/**
 * A port that was free a moment ago, drawn below Linux's ephemeral range (32768+) so that the many
 * outgoing connections to Postgres and Redis cannot take it between this check and the listen.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** A database, a Redis prefix, an SMTP peer and a push service of this run's own: nothing shared with other runs. */
export class TestEnvironment {
  readonly id = `cs_t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  readonly smtp: SmtpCatcher;
  readonly push = new TestPushService();
  /** The exchange's token-signing key (ES256): operators' actions need a key the API does not hold. */
  readonly jwtKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  env: Record<string, string> = {};
  admin!: DataSource;
  readonly keys = generateDevKeys();

  constructor(options: { smtp?: ConstructorParameters<typeof SmtpCatcher>[0] } = {}) {
    this.smtp = new SmtpCatcher(options.smtp);
  }

  get databaseUrl(): string {
    return `${POSTGRES_ADMIN}/${this.id}`;
  }

  async start(overrides: Record<string, string> = {}): Promise<this> {
    await Promise.all([this.smtp.start(), this.push.start()]);
    const port = await freePort();
    this.env = {
      DATABASE_URL: this.databaseUrl,
      REDIS_URL,
      QUEUE_PREFIX: this.id,
      PORT: String(port),
      JWT_PUBLIC_KEY: this.jwtKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      SMTP_URL: this.smtp.url,
      MAIL_FROM: 'Countersign <no-reply@countersign.test>',
      VAPID_PUBLIC_KEY: this.keys.vapidPublicKey,
      VAPID_PRIVATE_KEY: this.keys.vapidPrivateKey,
      VAPID_SUBJECT: 'mailto:security@countersign.test',
      TOTP_SEAL_PUBLIC_KEY: this.keys.totpSealPublicKey,
      TOTP_SEAL_PRIVATE_KEY: this.keys.totpSealPrivateKey,
      API_SIGNING_PUBLIC_KEY: this.keys.apiSigning.publicKey,
      API_SIGNING_PRIVATE_KEY: this.keys.apiSigning.privateKey,
      NOTIFIER_SIGNING_PUBLIC_KEY: this.keys.notifierSigning.publicKey,
      NOTIFIER_SIGNING_PRIVATE_KEY: this.keys.notifierSigning.privateKey,
      CONFIRMER_SIGNING_PUBLIC_KEY: this.keys.confirmerSigning.publicKey,
      CONFIRMER_SIGNING_PRIVATE_KEY: this.keys.confirmerSigning.privateKey,
      ADDRESS_COOLING_OFF: '0',
      SECURITY_CHANGE_LOCK: '0',
      CONFIRMATION_WINDOW: '10m',
      // Tests of other features act faster than any customer; the rate-limit tests set their own limits.
      CUSTOMER_WRITES_PER_MINUTE: '100000',
      METRICS_USER: TEST_METRICS_CREDENTIALS.user,
      METRICS_PASSWORD: TEST_METRICS_CREDENTIALS.password,
      EMAIL_CHANGES_PER_HOUR: '100000',
      // The risk controls count every withdrawal in every test, but hold or pause only where a test sets
      // them: the other tests send all their customers from one loopback address, far faster than a day's business.
      ANOMALY_MAX_ACCOUNTS: '1000000',
      AUTO_PAUSE_MIN_PER_MINUTE: '1000000',
      ...overrides,
      PUBLIC_BASE_URL: this.publicBaseUrl(port, overrides.PUBLIC_BASE_URL),
      // The test push service is always allowed; a test may allow more (its own hanging or gone endpoints).
      PUSH_SERVICE_HOSTS: [this.push.origin, overrides.PUSH_SERVICE_HOSTS].filter(Boolean).join(','),
    };
    const policy = loadConfig(this.env);
    await migrateDatabase(this.databaseUrl, undefined, policy);
    this.admin = new DataSource(dataSourceOptions(this.databaseUrl, 4));
    await this.admin.initialize();
    return this;
  }

  /** A new API port (and the origin in links) for the apps started after this. */
  async movePort(): Promise<void> {
    const port = await freePort();
    this.env.PORT = String(port);
    this.env.PUBLIC_BASE_URL = this.publicBaseUrl(port, this.publicBaseTemplate);
  }

  private publicBaseTemplate?: string;

  /**
   * The origin in links: http://127.0.0.1:<port> unless the test gives a template with `{port}` (passkey
   * tests use http://localhost:{port}, since a WebAuthn rp id is a domain, never an IP address).
   */
  private publicBaseUrl(port: number, template?: string): string {
    if (template !== undefined) this.publicBaseTemplate = template;
    return (this.publicBaseTemplate ?? 'http://127.0.0.1:{port}').replace('{port}', String(port));
  }

  config(overrides: Record<string, string> = {}, app?: AppRole): AppConfig {
    return loadConfig({ ...this.env, ...overrides }, app);
  }

  /** A bearer token as the exchange issues it (ES256, with exp and a fresh jti). */
  async token(userId: string, roles: string[] = [], lifetime = '1h'): Promise<string> {
    return this.sign({ roles }, { sub: userId, lifetime });
  }

  /** Any claims, signed with the exchange's key: for tests of what the API accepts. */
  async sign(claims: Record<string, unknown>, options: { sub?: string; lifetime?: string | number; issuedAt?: number } = {}): Promise<string> {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setJti(randomUUID()).setIssuedAt(options.issuedAt);
    if (options.sub !== undefined) jwt.setSubject(options.sub);
    // As the exchange's issuer would: its iss and aud whenever the environment checks them.
    if (this.env.JWT_ISSUER) jwt.setIssuer(this.env.JWT_ISSUER);
    if (this.env.JWT_AUDIENCE) jwt.setAudience(this.env.JWT_AUDIENCE);
    if (options.lifetime !== undefined) jwt.setExpirationTime(options.lifetime);
    return jwt.sign(this.jwtKeys.privateKey);
  }

  /** An operator's console: a fresh short-lived token for every request, as operator actions are single use. */
  operator(baseUrl: string, operatorId = 'operator-1'): ApiClient {
    return new ApiClient(baseUrl, () => this.token(operatorId, ['operator'], '5m'));
  }

  async stop(): Promise<void> {
    await this.admin?.destroy();
    await dropDatabase(this.databaseUrl);
    const redis = new IORedis(redisConnection(REDIS_URL));
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.id}:*`, 'COUNT', 1000);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    await Promise.all([this.smtp.stop(), this.push.stop()]);
  }
}

/** Nest's logger stays quiet in tests unless TEST_LOGS=1. */
const TEST_LOGGER = process.env.TEST_LOGS === '1' ? {} : { logger: false as const };

/** The three apps in this process, each as its own Nest app with its own database role. */
export class InProcessSuite {
  api!: INestApplication;
  notifier?: INestApplicationContext;
  confirmer?: INestApplicationContext;
  baseUrl = '';

  constructor(readonly env: TestEnvironment) {}

  async start(options: { notifier?: boolean; confirmer?: boolean } = {}): Promise<this> {
    for (let attempt = 1; ; attempt++) {
      const config = this.env.config({}, 'api');
      this.api = await createApiApp(config, TEST_LOGGER);
      try {
        await this.api.listen(config.port, '127.0.0.1');
        this.baseUrl = config.publicBaseUrl;
        break;
      } catch (error) {
        await this.api.close();
        // Another test process took the port between our check and our listen: take another.
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 5) throw error;
        await this.env.movePort();
      }
    }
    if (options.notifier !== false) await this.startNotifier();
    if (options.confirmer !== false) await this.startConfirmer();
    return this;
  }

  async startNotifier(): Promise<INestApplicationContext> {
    this.notifier = await NestFactory.createApplicationContext(NotificationWorkerModule.forRoot(this.env.config({}, 'notifier')), TEST_LOGGER);
    await this.notifier.init();
    return this.notifier;
  }

  async startConfirmer(): Promise<INestApplicationContext> {
    this.confirmer = await NestFactory.createApplicationContext(ConfirmationServiceModule.forRoot(this.env.config({}, 'confirmer')), TEST_LOGGER);
    await this.confirmer.init();
    return this.confirmer;
  }

  /** Each app closed in turn; one that does not close within 45 s fails the suite by name (not by jest's hook timeout). */
  async stop(): Promise<void> {
    await closeWithin('confirmation service', this.confirmer);
    await closeWithin('notification worker', this.notifier);
    await closeWithin('API', this.api);
  }
}

const APP_CLOSE_DEADLINE_MS = 45_000;

async function closeWithin(name: string, app: INestApplicationContext | undefined): Promise<void> {
  if (!app) return;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the ${name} did not close within ${APP_CLOSE_DEADLINE_MS / 1000} s`)), APP_CLOSE_DEADLINE_MS);
  });
  const pending = trackShutdownHooks(app);
  try {
    await Promise.race([app.close(), deadline]);
  } catch (error) {
    const hooks = [...pending].join(', ') || 'none';
    throw new Error(`${(error as Error).message}; shutdown hooks not finished: ${hooks}; its BullMQ workers and queues: ${describeQueues(app)}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** The app's providers' shutdown hooks that have started and not finished, by provider and hook, as they run. */
function trackShutdownHooks(app: INestApplicationContext): Set<string> {
  const pending = new Set<string>();
  for (const wrapper of app.get(DiscoveryService, { strict: false }).getProviders()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance || typeof instance !== 'object') continue;
    for (const hook of ['beforeApplicationShutdown', 'onApplicationShutdown', 'onModuleDestroy']) {
      const original = instance[hook];
      if (typeof original !== 'function') continue;
      const label = `${String(wrapper.name)}.${hook}`;
      instance[hook] = async (...args: unknown[]) => {
        pending.add(label);
        try {
          return await (original as (...a: unknown[]) => unknown).apply(instance, args);
        } finally {
          pending.delete(label);
        }
      };
    }
  }
  return pending;
}

/** What a hung close was waiting for: each worker's and queue's state and its Redis connections' status. */
function describeQueues(app: INestApplicationContext): string {
  type Connection = { status?: string; _client?: { status?: string } } | undefined;
  const connection = (c: Connection) => (c ? `${c.status}/${c._client?.status}` : '-');
  const backendOf = (o: object) => (o as { backend?: { connection?: Connection; blockingConnection?: Connection } }).backend;
  const workers = appWorkers(app.get(DiscoveryService, { strict: false })).map((w) => {
    const state = w as unknown as { closing?: unknown; closed?: boolean; running?: boolean; mainLoopRunning?: unknown };
    const backend = backendOf(w);
    return `worker ${w.name} closing=${Boolean(state.closing)} closed=${state.closed} running=${state.running} mainLoop=${Boolean(state.mainLoopRunning)} conn=${connection(backend?.connection)} blocking=${connection(backend?.blockingConnection)}`;
  });
  const queues = Object.values(QueueName).map((name) => {
    const queue = app.get<Queue>(getQueueToken(name), { strict: false });
    return `queue ${name} closing=${Boolean((queue as unknown as { closing?: unknown }).closing)} conn=${connection(backendOf(queue)?.connection)}`;
  });
  return [...workers, ...queues].join('; ');
}
