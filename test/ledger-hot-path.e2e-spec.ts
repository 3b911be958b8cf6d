import { Client } from 'pg';
import { seedCustomers } from './support/bulk-customers';
import { connectAs, refusal } from './support/db-roles';
import { ledgerFaults } from './support/ledger-checks';
import { TestEnvironment } from './support/test-suite';

const CHECK_VIOLATION = '23514';

interface TableReads {
  seq_scan: number;
  seq_tup_read: number;
  idx_scan: number;
  idx_tup_fetch: number;
}

/**
 * The ledger's hot path (issue 11): a hold and a posting find their accounts by index, so their cost does
 * not grow with the number of customers, and they no longer update one shared row (the outbound account),
 * whose balance is derived from its transfers instead.
 */
describe('ledger hot path', () => {
  const env = new TestEnvironment();
  let api: Client;
  let confirmer: Client;

  beforeAll(async () => {
    await env.start();
    [api, confirmer] = await Promise.all([connectAs(env, 'api'), connectAs(env, 'confirmer')]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([api?.end(), confirmer?.end()]);
    await env.stop();
  });

  /** A withdrawal of `userId`'s, inserted as the API inserts it. */
  const newWithdrawal = async (userId: string, key: string): Promise<string> => {
    const [address] = await env.admin.query('SELECT id, address FROM withdrawal_addresses WHERE user_id = $1', [userId]);
    const { rows } = await api.query(
      `INSERT INTO withdrawals (user_id, address_id, asset, network, address, amount, match_code, match_choices, idempotency_key, request_hash, expires_at)
       VALUES ($1, $2, 'BTC', 'bitcoin', $3, 0.01, '11', ARRAY['11','22','33'], $4, '\\x00', now() + interval '10 minutes') RETURNING id`,
      [userId, address.id, address.address, key],
    );
    return rows[0].id;
  };

  /** What `statement` read from ledger_accounts, counted by Postgres for this transaction alone. */
  const readsOf = async (client: Client, statement: string, params: unknown[]): Promise<TableReads> => {
    const reads = `SELECT seq_scan::int, seq_tup_read::int, coalesce(idx_scan, 0)::int AS idx_scan, coalesce(idx_tup_fetch, 0)::int AS idx_tup_fetch
                     FROM pg_stat_xact_user_tables WHERE relname = 'ledger_accounts'`;
    await client.query('BEGIN');
    try {
      const before: TableReads = (await client.query(reads)).rows[0];
      await client.query(statement, params);
      const after: TableReads = (await client.query(reads)).rows[0];
      await client.query('COMMIT');
      return {
        seq_scan: after.seq_scan - before.seq_scan,
        seq_tup_read: after.seq_tup_read - before.seq_tup_read,
        idx_scan: after.idx_scan - before.idx_scan,
        idx_tup_fetch: after.idx_tup_fetch - before.idx_tup_fetch,
      };
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  };

  /** All three factors approved, each bound to its challenge or enrolment as the ledger's guard requires. */
  const approveAll = (withdrawalId: string) =>
    env.admin.query(
      `WITH w AS (SELECT * FROM withdrawals WHERE id = $1),
            ce AS (INSERT INTO challenges (withdrawal_id, factor, digest) SELECT id, 'email', digest FROM w RETURNING id),
            cp AS (INSERT INTO challenges (withdrawal_id, factor, subscription_id, digest)
                     SELECT w.id, 'push', s.id, w.digest FROM w JOIN push_subscriptions s ON s.user_id = w.user_id RETURNING id)
       UPDATE withdrawal_factors f SET status = 'approved', decided_at = now(), evidence = 'test', digest = w.digest,
              challenge_id = CASE f.factor WHEN 'email' THEN (SELECT id FROM ce) WHEN 'push' THEN (SELECT id FROM cp) END,
              enrolment_id = CASE f.factor WHEN 'totp' THEN (SELECT t.id FROM totp_enrolments t WHERE t.user_id = w.user_id AND t.status = 'active') END
         FROM w WHERE f.withdrawal_id = w.id`,
      [withdrawalId],
    );
  /** The posting as the confirmation service makes it: the hold posted, the withdrawal marked posted. */
  const POST_HOLD = `WITH t AS (INSERT INTO ledger_transfers (kind, pending_id)
                                SELECT 'post_pending', id FROM ledger_transfers WHERE withdrawal_id = $1 AND kind = 'pending' RETURNING withdrawal_id)
                     UPDATE withdrawals SET status = 'posted', posted_at = now(), decided_at = now() FROM t WHERE withdrawals.id = t.withdrawal_id`;

  /** A hold and its posting by the apps' own roles; what each read from ledger_accounts. */
  const holdAndPost = async (userId: string, key: string) => {
    const id = await newWithdrawal(userId, key);
    const hold = await readsOf(api, 'SELECT ledger_reserve($1)', [id]);
    await approveAll(id);
    const post = await readsOf(confirmer, POST_HOLD, [id]);
    return { hold, post };
  };

  it('finds the accounts of a hold and of a posting by index: no sequential scan, the same reads with 1,000 and 5,000 customers', async () => {
    const first = await seedCustomers(env, 1000, 'few');
    await env.admin.query('ANALYZE ledger_accounts');
    await holdAndPost(first[0].id, 'warm-up'); // the outbound account is created by the first hold
    const few = await holdAndPost(first[1].id, 'few');

    await seedCustomers(env, 4000, 'many');
    await env.admin.query('ANALYZE ledger_accounts');
    const many = await holdAndPost(first[2].id, 'many');

    for (const reads of [few.hold, few.post, many.hold, many.post]) {
      expect(reads).toMatchObject({ seq_scan: 0, seq_tup_read: 0 });
      expect(reads.idx_scan).toBeGreaterThan(0);
    }
    expect(many).toEqual(few);
    expect(await ledgerFaults(env.admin)).toEqual([]);
  }, 120_000);

  it("leaves the outbound account's row alone: its balance is derived from its transfers, its stored columns cannot move", async () => {
    const [customer] = await seedCustomers(env, 1, 'outbound');
    const outboundRow = `SELECT id, xmin::text, debits_pending::float8, debits_posted::float8, credits_pending::float8, credits_posted::float8
                           FROM ledger_accounts WHERE kind = 'withdrawals_outbound' AND asset = 'BTC'`;
    const derived = `SELECT credits_pending::text, credits_posted::text FROM ledger_account_balances WHERE kind = 'withdrawals_outbound' AND asset = 'BTC'`;
    await holdAndPost(customer.id, 'outbound-1'); // the account exists from here on
    const [before] = await env.admin.query(outboundRow);
    const [derivedBefore] = await env.admin.query(derived);

    await api.query('SELECT ledger_reserve($1)', [await newWithdrawal(customer.id, 'outbound-2')]); // held, open
    await holdAndPost(customer.id, 'outbound-3'); // held and posted

    // The row was not rewritten (same xmin): no lock on it, nothing for concurrent holds to queue on.
    expect(await env.admin.query(outboundRow)).toEqual([before]);
    expect(before).toMatchObject({ debits_pending: 0, debits_posted: 0, credits_pending: 0, credits_posted: 0 });
    const [derivedAfter] = await env.admin.query(derived);
    expect(Number(derivedAfter.credits_pending) - Number(derivedBefore.credits_pending)).toBeCloseTo(0.01, 12);
    expect(Number(derivedAfter.credits_posted) - Number(derivedBefore.credits_posted)).toBeCloseTo(0.01, 12);
    expect(await ledgerFaults(env.admin)).toEqual([]);

    const superuser = new Client({ connectionString: env.databaseUrl });
    await superuser.connect();
    const tampered = await refusal(superuser.query(`UPDATE ledger_accounts SET credits_posted = 5 WHERE id = $1`, [before.id]));
    await superuser.end();
    expect(tampered).toMatchObject({ code: CHECK_VIOLATION, constraint: 'ledger_accounts_outbound_derived' });
  }, 60_000);
});
