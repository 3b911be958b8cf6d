/**
 * `npm run bench:scale`: what each ledger and risk query of a withdrawal reads, with few customers and with many
 * (and many past withdrawals in the tables): their cost must not grow with either. For each size, a fresh
 * database is seeded by SQL in bulk (past withdrawals spread over the minutes before now, each with its risk
 * keys), then for sample withdrawals: the request's checks, the velocity limit and the anomaly counts
 * (Postgres's fallback when Redis is away) and the hold, as the API's role; the decision locks (a token's and a TOTP
 * verdict's, the latter with the failure window and enrolment read under them) and the posting
 * as the confirmation service's. The checks run through the apps' own repositories. Postgres counts, per
 * transaction, the tuples each one read (pg_stat_xact_user_tables: sequential and index fetches, per table).
 *
 * BENCH_SCALE_CUSTOMERS ("1000,100000"), BENCH_SCALE_PAST_WITHDRAWALS (past posted withdrawals per size,
 * "0,100000"; the issue's million works too, at several minutes of seeding), BENCH_SCALE_SAMPLES (20).
 * Progress on stderr, one JSON document on stdout.
 */
import { earliestMatchableStep } from '@app/crypto';
import { dataSourceOptions, WithdrawalRepository, WithdrawalRiskRepository } from '@app/database';
import { Client } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { SeededCustomer, seedCustomers } from '../support/bulk-customers';
import { connectAs } from '../support/db-roles';
import { TestEnvironment } from '../support/test-suite';
import { log, percentile, round } from './bench-kit';

const SIZES = (process.env.BENCH_SCALE_CUSTOMERS ?? '1000,100000').split(',').map(Number);
const PAST = (process.env.BENCH_SCALE_PAST_WITHDRAWALS ?? '0,100000').split(',').map(Number);
const SAMPLES = Number(process.env.BENCH_SCALE_SAMPLES ?? 20);

type Reads = Record<string, { seq: number; idx: number }>;

/** Customers, their ledger accounts (credited) and, optionally, past posted withdrawals with their transfers: bulk SQL. */
async function seedInBulk(env: TestEnvironment, customers: number, past: number): Promise<void> {
  const q = (sql: string, params: unknown[] = []) => env.admin.query(sql, params);
  await q(`SELECT ledger_account_id('deposits', NULL, 'BTC'), ledger_account_id('withdrawals_outbound', NULL, 'BTC')`);
  // Triggers off for the bulk load only (superuser, this session): balances are written as the transfers say.
  await env.admin.transaction(async (m) => {
    await m.query(`SET LOCAL session_replication_role = replica`);
    await m.query(
      `INSERT INTO users (id, email, email_verified_at) SELECT 'bulk-' || i, 'bulk-' || i || '@example.test', now() FROM generate_series(1, $1) i`,
      [customers],
    );
    await m.query(
      `INSERT INTO withdrawal_addresses (user_id, asset, network, address, label, usable_at)
       SELECT 'bulk-' || i, 'BTC', 'bitcoin', 'bc1qbulk' || i, 'bulk', now() FROM generate_series(1, $1) i`,
      [customers],
    );
    // Every customer enrolled: the tables the guards look into are as large as the customer base.
    await m.query(
      `INSERT INTO totp_enrolments (user_id, sealed_secret, status, activated_at) SELECT 'bulk-' || i, 'bulk', 'active', now() FROM generate_series(1, $1) i`,
      [customers],
    );
    await m.query(
      `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth)
       SELECT 'bulk-' || i, 'http://127.0.0.1:9/push/bulk-' || i, 'bulk', 'bulk' FROM generate_series(1, $1) i`,
      [customers],
    );
    await m.query(
      `INSERT INTO ledger_accounts (kind, user_id, asset, credits_posted) SELECT 'customer', 'bulk-' || i, 'BTC', 10 FROM generate_series(1, $1) i`,
      [customers],
    );
    await m.query(
      `INSERT INTO ledger_transfers (kind, debit_account_id, credit_account_id, asset, amount, deposit_reference)
       SELECT 'posted', d.id, a.id, 'BTC', 10, 'bulk-dep-' || a.user_id
         FROM ledger_accounts a, ledger_accounts d WHERE a.kind = 'customer' AND a.user_id LIKE 'bulk-%' AND d.kind = 'deposits'`,
    );
    await m.query(`UPDATE ledger_accounts SET debits_posted = debits_posted + 10 * $1 WHERE kind = 'deposits'`, [customers]);
    if (past > 0) {
      await m.query(
        `INSERT INTO withdrawals (user_id, address_id, asset, network, address, amount, status, match_code, match_choices,
                                  idempotency_key, request_hash, expires_at, decided_at, posted_at, created_at)
         SELECT w.user_id, w.id, 'BTC', 'bitcoin', w.address, 0.001, 'posted', '11', ARRAY['11','22','33'],
                'past-' || k, '\\x00', t.at, t.at, t.at, t.at
           FROM generate_series(1, $1) k
           CROSS JOIN LATERAL (SELECT now() - make_interval(mins => k) AS at) t
           JOIN withdrawal_addresses w ON w.user_id = 'bulk-' || (1 + k % $2)`,
        [past, customers],
      );
      // Their risk keys: addresses, devices and a few thousand shared IP addresses, as the API records them.
      await m.query(
        `INSERT INTO withdrawal_risk (withdrawal_id, created_at, ip_key, device_key, destination_key)
         SELECT w.id, w.created_at, 'ip-' || (abs(hashtext(w.idempotency_key)) % 5000), 'device-' || w.user_id, 'bitcoin:' || w.address
           FROM withdrawals w WHERE w.idempotency_key LIKE 'past-%'`,
      );
      // Their factors and challenges, as three approvals leave them.
      await m.query(
        `INSERT INTO withdrawal_factors (withdrawal_id, factor, status, digest, decided_at, evidence)
         SELECT w.id, f, 'approved', w.digest, now(), 'bulk' FROM withdrawals w, unnest(ARRAY['email', 'push', 'totp']) f
          WHERE w.idempotency_key LIKE 'past-%'`,
      );
      await m.query(
        `INSERT INTO challenges (withdrawal_id, factor, subscription_id, digest, sent_at, consumed_at)
         SELECT w.id, 'email', NULL, w.digest, now(), now() FROM withdrawals w WHERE w.idempotency_key LIKE 'past-%'
         UNION ALL
         SELECT w.id, 'push', s.id, w.digest, now(), now() FROM withdrawals w JOIN push_subscriptions s ON s.user_id = w.user_id
          WHERE w.idempotency_key LIKE 'past-%'`,
      );
      await m.query(
        `INSERT INTO ledger_transfers (kind, debit_account_id, credit_account_id, asset, amount, withdrawal_id)
         SELECT 'pending', a.id, o.id, 'BTC', w.amount, w.id
           FROM withdrawals w JOIN ledger_accounts a ON a.kind = 'customer' AND a.user_id = w.user_id
           JOIN ledger_accounts o ON o.kind = 'withdrawals_outbound' AND o.user_id IS NULL AND o.asset = 'BTC'
          WHERE w.idempotency_key LIKE 'past-%'`,
      );
      await m.query(
        `INSERT INTO ledger_transfers (kind, debit_account_id, credit_account_id, asset, amount, withdrawal_id, pending_id)
         SELECT 'post_pending', h.debit_account_id, h.credit_account_id, 'BTC', h.amount, h.withdrawal_id, h.id
           FROM ledger_transfers h WHERE h.kind = 'pending'`,
      );
      await m.query(
        `UPDATE ledger_accounts a SET debits_posted = debits_posted + s.total
           FROM (SELECT debit_account_id, sum(amount) AS total FROM ledger_transfers WHERE kind = 'post_pending' GROUP BY 1) s
          WHERE a.id = s.debit_account_id`,
      );
    }
  });
  await q('ANALYZE');
}

type TableStats = { relname: string; seq: number; idx: number }[];

/**
 * What `work` read, per table, counted by Postgres for the transaction that `stats` runs in (work must run in
 * it too); and how long it took.
 */
async function readsOf(stats: (sql: string) => Promise<TableStats>, work: () => Promise<unknown>): Promise<{ reads: Reads; ms: number }> {
  const tableReads = async (): Promise<Reads> =>
    Object.fromEntries(
      (await stats(`SELECT relname, seq_tup_read::int AS seq, coalesce(idx_tup_fetch, 0)::int AS idx FROM pg_stat_xact_user_tables`)).map((r) => [
        r.relname,
        { seq: r.seq, idx: r.idx },
      ]),
    );
  const before = await tableReads();
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  const after = await tableReads();
  const reads: Reads = {};
  for (const [table, a] of Object.entries(after)) {
    const b = before[table] ?? { seq: 0, idx: 0 };
    if (a.seq - b.seq || a.idx - b.idx) reads[table] = { seq: a.seq - b.seq, idx: a.idx - b.idx };
  }
  return { reads, ms };
}

/** What `statement` read on `client` (an app's own role), in a transaction of its own. */
async function measure(client: Client, statement: string, params: unknown[]): Promise<{ reads: Reads; ms: number }> {
  await client.query('BEGIN');
  const measured = await readsOf(
    async (sql) => (await client.query(sql)).rows as TableStats,
    () => client.query(statement, params),
  );
  await client.query('COMMIT');
  return measured;
}

/**
 * What `work` read in one transaction of `dataSource` (an app's own role), with repositories bound to that
 * transaction: the apps' own statements.
 */
async function measureRepositories(
  dataSource: DataSource,
  work: (repositories: { withdrawals: WithdrawalRepository; risk: WithdrawalRiskRepository }, m: EntityManager) => Promise<unknown>,
): Promise<{ reads: Reads; ms: number }> {
  return dataSource.transaction((m) => {
    // Every method of a repository bound to this manager runs in this transaction, those without a manager argument too.
    const bound = { manager: m } as unknown as DataSource;
    return readsOf(
      (sql) => m.query<TableStats>(sql),
      () => work({ withdrawals: new WithdrawalRepository(bound), risk: new WithdrawalRiskRepository(bound) }, m),
    );
  });
}

const total = (reads: Reads) => Object.values(reads).reduce((sum, r) => sum + r.seq + r.idx, 0);

async function measureSize(customers: number, past: number) {
  const env = await new TestEnvironment().start();
  try {
    log(`${customers} customers, ${past} past withdrawals: seeding`);
    await seedInBulk(env, customers, past);
    const samples: SeededCustomer[] = await seedCustomers(env, SAMPLES, 'sample');
    await env.admin.query('ANALYZE');
    const [api, confirmer] = await Promise.all([connectAs(env, 'api'), connectAs(env, 'confirmer')]);
    const urls = env.config().databaseUrls;
    const [apiSource, confirmerSource] = [new DataSource(dataSourceOptions(urls.api, 1)), new DataSource(dataSourceOptions(urls.confirmer, 1))];
    await Promise.all([apiSource.initialize(), confirmerSource.initialize()]);
    const runs = { checks: [], velocity: [], anomalyCounts: [], hold: [], decisionLocks: [], totpDecisionLocks: [], post: [] } as Record<
      string,
      { reads: Reads; ms: number }[]
    >;
    log(`${customers} customers: ${SAMPLES} holds and postings`);
    for (const [i, s] of samples.entries()) {
      const [address] = await env.admin.query('SELECT id, address FROM withdrawal_addresses WHERE user_id = $1', [s.id]);
      // What the API reads before and while creating it: the request's checks, the velocity limit, and the
      // anomaly counts under keys that past withdrawals share (the fallback that runs when Redis is away).
      runs.checks.push(await measureRepositories(apiSource, ({ withdrawals }) => withdrawals.requestFacts(s.id, `scale-${i}`, address.id)));
      const now = Date.now();
      runs.velocity.push(
        await measureRepositories(apiSource, ({ risk }, m) =>
          risk.exceedsVelocity(m, { userId: s.id, asset: 'BTC', amount: '0.01', limit: '5', since: new Date(now - 86_400_000) }),
        ),
      );
      runs.anomalyCounts.push(
        await measureRepositories(apiSource, ({ risk }) =>
          risk.recentCounts({
            userId: s.id,
            keys: { ip: `ip-${i}`, device: `device-bulk-${i + 1}`, destination: `bitcoin:bc1qbulk${i + 1}` },
            since: new Date(now - 3_600_000),
            now: new Date(now),
          }),
        ),
      );
      const { rows } = await api.query(
        `INSERT INTO withdrawals (user_id, address_id, asset, network, address, amount, match_code, match_choices, idempotency_key, request_hash, expires_at)
         VALUES ($1, $2, 'BTC', 'bitcoin', $3, 0.01, '11', ARRAY['11','22','33'], $4, '\\x00', now() + interval '10 minutes') RETURNING id`,
        [s.id, address.id, address.address, `scale-${i}`],
      );
      const id: string = rows[0].id;
      runs.hold.push(await measure(api, 'SELECT ledger_reserve($1)', [id]));
      // All three factors approved, bound to their challenge or enrolment, as the confirmation service leaves them.
      await env.admin.query(
        `WITH w AS (SELECT * FROM withdrawals WHERE id = $1),
              ce AS (INSERT INTO challenges (withdrawal_id, factor, digest) SELECT id, 'email', digest FROM w RETURNING id),
              cp AS (INSERT INTO challenges (withdrawal_id, factor, subscription_id, digest)
                       SELECT w.id, 'push', s.id, w.digest FROM w JOIN push_subscriptions s ON s.user_id = w.user_id RETURNING id)
         UPDATE withdrawal_factors f SET status = 'approved', decided_at = now(), evidence = 'bench', digest = w.digest,
                challenge_id = CASE f.factor WHEN 'email' THEN (SELECT id FROM ce) WHEN 'push' THEN (SELECT id FROM cp) END,
                enrolment_id = CASE f.factor WHEN 'totp' THEN (SELECT t.id FROM totp_enrolments t WHERE t.user_id = w.user_id AND t.status = 'active') END
           FROM w WHERE f.withdrawal_id = w.id`,
        [id],
      );
      runs.decisionLocks.push(
        await measureRepositories(confirmerSource, async ({ withdrawals }, m) => {
          if (!(await withdrawals.lockForDecision(m, { withdrawalId: id, ownerId: s.id }))) throw new Error(`no decision locks for ${id}`);
        }),
      );
      // A TOTP verdict's: the same locks, then the customer's failure window, enrolment (totp_check_facts) and used steps (totp_steps_used).
      runs.totpDecisionLocks.push(
        await measureRepositories(confirmerSource, async ({ withdrawals }, m) => {
          const check = { status: 'active' as const, windowSeconds: 15 * 60, limit: 10, stepsUsedFrom: earliestMatchableStep(Date.now()) };
          const locked = await withdrawals.lockForTotpDecision(m, { withdrawalId: id, ownerId: s.id }, check);
          if (!locked?.totp.enrolment) throw new Error(`no TOTP decision locks or enrolment for ${id}`);
        }),
      );
      runs.post.push(
        await measure(
          confirmer,
          `WITH t AS (INSERT INTO ledger_transfers (kind, pending_id)
                        SELECT 'post_pending', id FROM ledger_transfers WHERE withdrawal_id = $1 AND kind = 'pending' RETURNING withdrawal_id)
           UPDATE withdrawals SET status = 'posted', posted_at = now(), decided_at = now() FROM t WHERE withdrawals.id = t.withdrawal_id`,
          [id],
        ),
      );
    }
    await Promise.all([api.end(), confirmer.end(), apiSource.destroy(), confirmerSource.destroy()]);
    const summary = (runs: { reads: Reads; ms: number }[]) => {
      const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
      const last = runs[runs.length - 1].reads;
      return {
        tuples_read: Math.max(...runs.map((r) => total(r.reads))),
        sequential_tuples_read: Math.max(...runs.map((r) => Object.values(r.reads).reduce((s, t) => s + t.seq, 0))),
        per_table: last,
        ms_p50: round(percentile(ms, 50), 2),
        ms_max: round(ms[ms.length - 1], 2),
      };
    };
    const [{ accounts, transfers, withdrawals }] = await env.admin.query(
      `SELECT (SELECT count(*) FROM ledger_accounts)::int AS accounts, (SELECT count(*) FROM ledger_transfers)::int AS transfers,
              (SELECT count(*) FROM withdrawals)::int AS withdrawals`,
    );
    return {
      customers: customers + SAMPLES,
      rows: { ledger_accounts: accounts, ledger_transfers: transfers, withdrawals },
      ...Object.fromEntries(Object.entries(runs).map(([name, r]) => [snake(name), summary(r)])),
    };
  } finally {
    await env.stop();
  }
}

const tuplesRead = (size: object, query: string) => (size as Record<string, { tuples_read: number }>)[query].tuples_read;

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

async function main(): Promise<void> {
  const sizes = [];
  for (const [i, customers] of SIZES.entries()) sizes.push(await measureSize(customers, PAST[i] ?? PAST[PAST.length - 1]));
  const [first, last] = [sizes[0], sizes[sizes.length - 1]];
  console.log(
    JSON.stringify(
      {
        sizes,
        // 1 when the largest size reads what the smallest does; the anomaly counts read what the last hour holds, whatever the size.
        ratios: Object.fromEntries(
          ['checks', 'velocity', 'anomaly_counts', 'hold', 'decision_locks', 'totp_decision_locks', 'post'].map((k) => [
            `${k}_tuples_read_largest_to_smallest`,
            round(tuplesRead(last, k) / Math.max(1, tuplesRead(first, k)), 3),
          ]),
        ),
      },
      null,
      2,
    ),
  );
}

main().catch((error) => {
  console.error(`bench:scale failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
