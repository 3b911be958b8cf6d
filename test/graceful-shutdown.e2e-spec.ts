import { QueueName, redisConnection, settleWithin } from '@app/queue';
import { Queue } from 'bullmq';
import { createECDH, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppProcess } from './support/app-processes';
import { SseClient } from './support/sse-client';
import { enrolCustomer } from './support/customer-factory';
import { waitUntil } from './support/ledger-checks';
import { InProcessSuite, TestEnvironment } from './support/test-suite';
import { OwnRedis } from './support/own-redis';
import { sleep } from './support/ledger-checks';

/** A push service that, while `holding`, keeps each request open until the test releases it. */
class HeldPushService {
  holding = false;
  /** Every request, held or not. */
  requests = 0;
  readonly arrivals: string[] = [];
  private releases: (() => void)[] = [];
  private readonly server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      this.requests++;
      const answer = () => res.writeHead(201).end();
      if (!this.holding) return answer();
      this.arrivals.push(req.url ?? '');
      this.releases.push(answer);
    });
  });

  start(): Promise<void> {
    return new Promise((resolve, reject) => this.server.once('error', reject).listen(0, '127.0.0.1', resolve));
  }

  release(): void {
    this.holding = false;
    for (const answer of this.releases.splice(0)) answer();
  }

  stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  subscription() {
    return {
      endpoint: `${this.origin}/push/${randomBytes(8).toString('hex')}`,
      keys: { p256dh: createECDH('prime256v1').generateKeys('base64url'), auth: randomBytes(16).toString('base64url') },
    };
  }
}

/**
 * Graceful shutdown: SIGTERM (an orchestrator stopping the container) lets the job in progress finish —
 * its push delivered and recorded — and the process then exits 0, rather than leaving the job to a retry.
 */
describe('graceful shutdown', () => {
  const env = new TestEnvironment();
  const held = new HeldPushService();
  let suite: InProcessSuite;
  let notifier: AppProcess;
  /** The notification worker's queues: every push goes through `pushes`. */
  let queues: Queue[];
  let pushes: Queue;

  beforeAll(async () => {
    await held.start();
    await env.start({ PUSH_SERVICE_HOSTS: held.origin });
    suite = await new InProcessSuite(env).start({ notifier: false });
    notifier = await new AppProcess('notification-worker', env.env).start();
    queues = [QueueName.Notifications, QueueName.ChallengeEmails, QueueName.Pushes].map(
      (name) => new Queue(name, { connection: redisConnection(env.env.REDIS_URL), prefix: env.id }),
    );
    pushes = queues[2];
  }, 120_000);

  afterAll(async () => {
    await notifier?.kill();
    for (const queue of queues ?? []) await queue.close();
    await suite?.stop();
    await held.stop();
    await env.stop();
  }, 60_000);

  /** A customer whose one device's pushes go to the held push service, once the enrolment's notices are out. */
  async function enrolWithHeldDevice() {
    const customer = await enrolCustomer(env, suite.baseUrl, { deposit: '1', subscriptions: [held.subscription()] });
    await waitUntil(async () => {
      const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active', 'prioritized')));
      return counts.every((c) => c.waiting + c.active + c.prioritized === 0);
    }, 'the enrolment notices sent');
    return customer;
  }

  it('the notification worker, sent SIGTERM while a push is in flight, delivers it, records it and exits 0', async () => {
    const customer = await enrolWithHeldDevice();

    held.holding = true;
    const before = held.requests;
    const w = (await customer.client.post('/v1/withdrawals', { addressId: customer.addressId, amount: '0.2' }, { 'idempotency-key': 'shutdown-1' }))
      .body as {
      id: string;
    };
    await waitUntil(() => Promise.resolve(held.arrivals.length === 1), 'the challenge push in flight');

    const exited = notifier.stop();
    // The process is shutting down but waits for its job: still there while the push is held.
    await new Promise((r) => setTimeout(r, 1000));
    expect(notifier.exited).toBe(false);
    held.release();
    expect(await exited).toBe(0);

    const [challenge] = await env.admin.query(`SELECT sent_at FROM challenges WHERE withdrawal_id = $1 AND factor = 'push'`, [w.id]);
    expect(challenge.sent_at).not.toBeNull();
    // The push to the customer's only device is the fan-out's own.
    const pushJobs = (await pushes.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed'])).filter(
      (j) => j.name === 'send-withdrawal-challenges' && (j.data as { withdrawalId?: string }).withdrawalId === w.id,
    );
    expect(await Promise.all(pushJobs.map((j) => j.getState()))).toEqual(['completed']);
    // Delivered once: no retry sent it again.
    expect(held.requests - before).toBe(1);
  });

  it('an API process, sent SIGTERM with an event stream open, ends the stream and exits 0', async () => {
    notifier = await new AppProcess('notification-worker', env.env).start();
    const customer = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    const w = (await customer.client.post('/v1/withdrawals', { addressId: customer.addressId, amount: '0.1' }, { 'idempotency-key': 'shutdown-2' }))
      .body as {
      id: string;
    };
    await env.movePort();
    const api = await new AppProcess('api', env.env).start();
    const sse = new SseClient(`${env.env.PUBLIC_BASE_URL}/v1/withdrawals/${w.id}/events`, customer.client.bearer as string);
    expect((await sse.open()).status).toBe(200);
    await sse.until(() => sse.statuses().length === 1, 'the first status');

    const exited = api.stop();
    await sse.until(() => sse.ended, 'the stream ended by the shutdown');
    expect(await exited).toBe(0);
    expect(sse.statuses()).toEqual(['pending_confirmation']);
  });

  it('the notification worker killed while a push is in flight: a worker started after it sends the push within 25 s', async () => {
    if (notifier.exited) notifier = await new AppProcess('notification-worker', env.env).start();
    const customer = await enrolWithHeldDevice();
    held.holding = true;
    const arrived = held.arrivals.length;
    const w = (await customer.client.post('/v1/withdrawals', { addressId: customer.addressId, amount: '0.1' }, { 'idempotency-key': 'killed-1' }))
      .body as { id: string };
    await waitUntil(() => held.arrivals.length === arrived + 1, 'the challenge push in flight');

    await notifier.kill(); // SIGKILL: the job stays active in Redis under a dead worker's lock, its delivery leased
    notifier = await new AppProcess('notification-worker', env.env).start();
    // The job's lock lapses, a stalled check hands it to the new worker, and the push's lease (PUSH_TIMEOUT
    // and 5 s) runs out: before, a 30 s lock, a 30 s check and a 30 s lease made it 30 to 60 s.
    await waitUntil(() => held.arrivals.length === arrived + 2, 'the push sent again by the new worker', 25_000);
    held.release();
    await waitUntil(async () => {
      const [challenge] = await env.admin.query(`SELECT sent_at FROM challenges WHERE withdrawal_id = $1 AND factor = 'push'`, [w.id]);
      return challenge?.sent_at != null;
    }, 'the push recorded as sent');
  });
});

/**
 * An orchestrator stops the apps during a Redis outage (a node drained while Redis fails over, say): each
 * must still exit. Its workers' connections are then waiting to reconnect, and a BullMQ close waits for
 * their end, which ioredis never signals for a connection in that state (ioredis#1247): the process hung.
 */
describe('SIGTERM while Redis is away', () => {
  const env = new TestEnvironment();
  const redis = new OwnRedis();
  const apps: AppProcess[] = [];
  /** The longest a job may take (SMTP_TIMEOUT, PUSH_TIMEOUT): the drain waits that and a margin of 5 s. */
  const jobTimeout = '2s';

  beforeAll(async () => {
    await env.start({ REDIS_URL: await redis.start(), SMTP_TIMEOUT: jobTimeout, PUSH_TIMEOUT: jobTimeout });
    for (const name of ['api', 'notification-worker', 'confirmation-service'] as const) {
      apps.push(await new AppProcess(name, env.env).start());
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.kill()));
    await redis.stop();
    await env.stop();
  }, 60_000);

  it('each app exits 0 within its drain bound', async () => {
    await redis.kill();
    await sleep(3000); // every connection has lost Redis and waits to reconnect
    const exits = await Promise.all(
      apps.map(async (app) => {
        const exited = await settleWithin(app.stop(), 20_000, () => `still running after 20 s; its last lines:\n${app.output.slice(-5).join('\n')}`);
        return [app.name, exited];
      }),
    );
    expect(exits).toEqual([
      ['api', 0],
      ['notification-worker', 0],
      ['confirmation-service', 0],
    ]);
  }, 60_000);
});
