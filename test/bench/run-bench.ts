/**
 * `npm run bench`: the suite's throughput beside the two ceilings it sits on — Postgres commits and
 * BullMQ round trips — all measured in the same run, so the ratios mean something on a shared machine.
 * Prints one JSON document.
 */
const databaseUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/countersign');
process.env.TEST_POSTGRES_URL = `${databaseUrl.protocol}//${databaseUrl.username ? `${databaseUrl.username}${databaseUrl.password ? `:${databaseUrl.password}` : ''}@` : ''}${databaseUrl.host}`;
process.env.TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

import { totpCode } from '@app/crypto';
import { verifyLedger } from '@app/database';
import { redisConnection } from '@app/queue';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { cpus } from 'node:os';
import { ApiClient } from '../support/api-client';
import { linkIn, tokenOf } from '../support/customer-factory';
import { sentTo } from '../support/smtp-catcher';
import { InProcessSuite, TestEnvironment } from '../support/test-suite';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 24);
const CONCURRENCY = 8;
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

async function timed(work: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function postgresCommitsPerSecond(env: TestEnvironment, n: number): Promise<number> {
  await env.admin.query('CREATE TABLE bench_commits (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())');
  const seconds = await timed(() =>
    pool([...Array(n).keys()], CONCURRENCY, async () => {
      await env.admin.transaction((m) => m.query('INSERT INTO bench_commits DEFAULT VALUES'));
    }),
  );
  return n / seconds;
}

async function bullmqRoundTripsPerSecond(env: TestEnvironment, n: number): Promise<number> {
  const connection = redisConnection(env.env.REDIS_URL);
  const prefix = `${env.id}:bench`; // under the run's own prefix, so env.stop() removes it whatever happens
  const queue = new Queue('bench', { connection, prefix });
  const events = new QueueEvents('bench', { connection, prefix });
  const worker = new Worker('bench', () => Promise.resolve('ok'), { connection, prefix, concurrency: CONCURRENCY });
  await Promise.all([events.waitUntilReady(), worker.waitUntilReady()]);
  const seconds = await timed(() =>
    pool([...Array(n).keys()], CONCURRENCY, async (i) => {
      // Kept a minute after completion: removed at once, a fast job can vanish before its waiter looks ("Missing key").
      await (await queue.add('noop', { i }, { removeOnComplete: { age: 60 } })).waitUntilFinished(events, 10000);
    }),
  );
  await Promise.all([worker.close(), events.close()]);
  await queue.obliterate({ force: true });
  await queue.close();
  return n / seconds;
}

interface Customer {
  id: string;
  client: ApiClient;
  secret: string;
  addressId: string;
  email: string;
}

async function enrol(env: TestEnvironment, base: string, i: number): Promise<Customer> {
  const id = `bench-${i}`;
  const email = `${id}@example.test`;
  const client = new ApiClient(base, await env.token(id));
  await client.call('PUT', '/v1/me/email', { body: { email } });
  const mail = await env.smtp.waitFor((m) => sentTo(m, email));
  await new ApiClient(base).post('/v1/email-verifications', { token: tokenOf(linkIn(mail.text ?? '', 'verify-email')) });
  const secret = (await client.post('/v1/me/totp')).body.secret;
  await client.post('/v1/me/totp/activate', { code: totpCode(secret, Date.now() - 30_000) });
  await client.post('/v1/me/push-subscriptions', env.push.newSubscription());
  const address = await client.post('/v1/me/addresses', {
    asset: 'BTC',
    network: 'bitcoin',
    address: `bc1qbench${i}xxxxxxxxxx`,
    label: 'bench',
    totpCode: totpCode(secret, Date.now()),
  });
  const operator = env.operator(base, 'op');
  await operator.post('/v1/admin/deposits', { userId: id, asset: 'BTC', amount: '10', reference: `bench-${i}` });
  return { id, client, secret, addressId: address.body.id, email };
}

async function main(): Promise<void> {
  const env = await new TestEnvironment().start({ PUBLIC_RATE_LIMIT_PER_MINUTE: '100000', PUSHES_PER_HOUR: '100000' });
  const suite = await new InProcessSuite(env).start();
  try {
    const base = suite.baseUrl;
    log('baselines');
    const pgCommits = await postgresCommitsPerSecond(env, 2000);
    const bullmq = await bullmqRoundTripsPerSecond(env, 1000);
    log(`enrolling ${CUSTOMERS} customers`);
    const customers: Customer[] = [];
    for (let i = 0; i < CUSTOMERS; i++) customers.push(await enrol(env, base, i));

    log('creating withdrawals');
    const created: { c: Customer; id: string; matchCode: string }[] = [];
    const createSeconds = await timed(() =>
      pool(customers, CONCURRENCY, async (c) => {
        const r = await c.client.post('/v1/withdrawals', { addressId: c.addressId, amount: '0.01' }, { 'idempotency-key': `bench-${c.id}` });
        if (r.status !== 202) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`);
        created.push({ c, id: r.body.id, matchCode: r.body.matchCode });
      }),
    );

    log('confirming on three channels');
    const confirmSeconds = await timed(() =>
      pool(created, CONCURRENCY, async ({ c, id, matchCode }) => {
        const mail = await env.smtp.waitFor((m) => sentTo(m, c.email) && (m.text ?? '').includes(id), 30000);
        const push = await env.push.waitFor((m) => m.payload.withdrawalId === id, 30000);
        const anon = new ApiClient(base);
        await anon.post('/v1/confirmations', { token: tokenOf(linkIn(mail.text ?? '', 'confirm')), decision: 'approve', matchCode });
        await anon.post('/v1/confirmations', { token: push.payload.token, decision: 'approve', matchCode });
        const t = await c.client.post(`/v1/withdrawals/${id}/totp`, { code: totpCode(c.secret, Date.now() + 30_000) });
        if (t.status !== 200) throw new Error(`totp: ${t.status} ${JSON.stringify(t.body)}`);
        for (let doc = t.body; doc.status !== 'posted'; doc = (await c.client.get(`/v1/withdrawals/${id}`)).body) {
          if (doc.status !== 'pending_confirmation') throw new Error(`withdrawal ended ${doc.status}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
    const faults = await verifyLedger(env.admin);
    const createRate = created.length / createSeconds;
    const postRate = created.length / confirmSeconds;
    console.log(
      JSON.stringify(
        {
          machine: { cpus: cpus().length, node: process.version },
          baseline: {
            postgres_commits_per_s: Math.round(pgCommits),
            bullmq_round_trips_per_s: Math.round(bullmq),
          },
          suite: {
            withdrawals: created.length,
            withdrawals_created_per_s: Number(createRate.toFixed(1)),
            withdrawals_confirmed_and_posted_per_s: Number(postRate.toFixed(1)),
            ledger_verification: faults.length ? faults : 'clean',
          },
          ratios: {
            create_per_postgres_commit: Number((createRate / pgCommits).toFixed(4)),
            posted_per_postgres_commit: Number((postRate / pgCommits).toFixed(4)),
            posted_per_bullmq_round_trip: Number((postRate / bullmq).toFixed(4)),
          },
        },
        null,
        2,
      ),
    );
  } finally {
    await suite.stop();
    await env.stop();
  }
}

main().catch((error) => {
  console.error(`bench failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
