/**
 * `npm run bench:audit`: audit inserts per second with 8 concurrent writers (each its own connection, as the
 * API's role), without a hash chain and with each way of keeping one — a single head locked from the entry
 * to the commit, a single head locked only at commit (deferred trigger), and several chains locked at
 * commit — so that the chain's cost is measured, not guessed. Two workloads: a transaction that commits
 * right after its entry, and one that goes on for a millisecond after it (as most of ours do: the entry
 * is seldom their last statement). Prints one JSON document.
 * The chained entries are verified afterwards (`verifyAuditChain`): 8 writers at once broke no link.
 */
const databaseUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/countersign');
process.env.TEST_POSTGRES_URL = `${databaseUrl.protocol}//${databaseUrl.username ? `${databaseUrl.username}${databaseUrl.password ? `:${databaseUrl.password}` : ''}@` : ''}${databaseUrl.host}`;
process.env.TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

import { verifyAuditChain } from '@app/database';
import { Client } from 'pg';
import { AUDIT_CHAINS, AUDIT_GENESIS_SQL, auditChainTrigger } from '../../libs/database/src/migrations/1764500000001-audit-chain';
import { TestEnvironment } from '../support/test-suite';

const WRITERS = 8;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Every variant is measured this many times, the variants taking turns, and the median kept: the machine may be shared. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const log = (line: string) => process.stderr.write(`bench:audit: ${line}\n`);

type Workload = 'entry-then-commit' | 'entry-then-1ms-of-work';

async function insertsPerSecond(clients: Client[], workload: Workload): Promise<number> {
  let committed = 0;
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    clients.map(async (client) => {
      while (Date.now() < until) {
        await client.query('BEGIN');
        await client.query(`INSERT INTO audit_events (actor, event, detail) VALUES ('api', 'bench', '{"n": 1}')`);
        if (workload === 'entry-then-1ms-of-work') await client.query('SELECT pg_sleep(0.001)');
        await client.query('COMMIT');
        committed++;
      }
    }),
  );
  return Math.round(committed / SECONDS);
}

async function main(): Promise<void> {
  const env = await new TestEnvironment().start();
  const clients = await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      const client = new Client({ connectionString: env.config().databaseUrls.api });
      await client.connect();
      return client;
    }),
  );
  try {
    // Heads for the largest variant measured; the migration made AUDIT_CHAINS of them.
    await env.admin.query(
      `INSERT INTO audit_chain_heads (chain, hash) SELECT c, ${AUDIT_GENESIS_SQL('c')} FROM generate_series(0, 31) AS c ON CONFLICT DO NOTHING`,
    );
    const variants: [string, string][] = [
      ['no chain (before)', 'DROP TRIGGER IF EXISTS audit_events_chain ON audit_events'],
      ['1 chain, head locked from the entry to the commit', auditChainTrigger(1, 'INITIALLY IMMEDIATE')],
      ['1 chain, head locked at commit (deferred)', auditChainTrigger(1)],
      ['4 chains, deferred', auditChainTrigger(4)],
      [`${AUDIT_CHAINS} chains, deferred (what the migration installs)`, auditChainTrigger(AUDIT_CHAINS)],
      ['32 chains, deferred', auditChainTrigger(32)],
    ];
    const workloads: Workload[] = ['entry-then-commit', 'entry-then-1ms-of-work'];
    const samples: Record<string, Record<Workload, number[]>> = {};
    // Entries written while no chain was installed are in no chain by design: left out of the verification below.
    const unchained: [bigint, bigint][] = [];
    const lastId = async () => BigInt((await env.admin.query<{ id: string }[]>('SELECT coalesce(max(id), 0)::text AS id FROM audit_events'))[0].id);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, sql] of variants) {
        await env.admin.query(sql);
        const from = await lastId();
        for (const workload of workloads) {
          const perSecond = await insertsPerSecond(clients, workload);
          (samples[name] ??= { 'entry-then-commit': [], 'entry-then-1ms-of-work': [] })[workload].push(perSecond);
        }
        if (name === variants[0][0]) unchained.push([from, await lastId()]);
        log(`round ${round}: ${name}: ${JSON.stringify(Object.fromEntries(workloads.map((w) => [w, samples[name][w].at(-1)])))}`);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const results = Object.fromEntries(
      Object.entries(samples).map(([name, byWorkload]) => [
        name,
        Object.fromEntries(workloads.map((w) => [w, { median: median(byWorkload[w]), samples: byWorkload[w] }])),
      ]),
    );
    const report = await verifyAuditChain(env.admin);
    const faults = report.faults.filter(
      (f) => !(f.kind === 'inserted' && f.chain === null && unchained.some(([a, b]) => BigInt(f.entryId!) > a && BigInt(f.entryId!) <= b)),
    );
    const [{ fsync, synchronous_commit }] = await env.admin.query<{ fsync: string; synchronous_commit: string }[]>(
      `SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit`,
    );
    console.log(
      JSON.stringify(
        {
          writers: WRITERS,
          secondsPerMeasurement: SECONDS,
          rounds: ROUNDS,
          postgres: { fsync, synchronous_commit },
          auditInsertsPerSecond: results,
          entriesVerified: report.entries,
          faultsInChainedEntries: faults.length,
        },
        null,
        2,
      ),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await env.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
