import { randomBytes } from 'node:crypto';
import { ApiClient, ApiResponse } from './support/api-client';
import { enrolCustomer, TestCustomer } from './support/customer-factory';
import { accountVersions, BalanceInvariantWatcher, ledgerFaults, recordAccountVersions } from './support/ledger-checks';
import { InProcessSuite, TestEnvironment } from './support/test-suite';

/**
 * No overdraft under concurrency, and idempotency under concurrency: what a customer (or an attacker
 * with the customer's session) sees when firing many requests at once.
 */
describe('concurrent withdrawals, idempotency keys and deposit references', () => {
  const env = new TestEnvironment();
  let suite: InProcessSuite;
  let operator: ApiClient;
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    await env.start();
    await recordAccountVersions(env.admin);
    suite = await new InProcessSuite(env).start();
    operator = env.operator(suite.baseUrl);
  });

  afterAll(async () => {
    await suite?.stop();
    await env.stop();
    console.log(`ledger-concurrency figures: ${JSON.stringify(figures)}`);
  });

  const withdraw = (c: TestCustomer, amount: string, key = `k-${randomBytes(8).toString('hex')}`) =>
    c.client.post('/v1/withdrawals', { addressId: c.addressId, amount }, { 'idempotency-key': key });

  const tally = (answers: ApiResponse[]) => {
    const t: Record<string, number> = {};
    for (const a of answers) {
      const k = a.status === 202 ? '202' : `${a.status} ${a.body?.code}`;
      t[k] = (t[k] ?? 0) + 1;
    }
    return t;
  };

  async function withdrawalsOf(userId: string): Promise<{ withdrawals: number; holds: number }> {
    const [row] = await env.admin.query(
      `SELECT (SELECT count(*)::int FROM withdrawals WHERE user_id = $1) AS withdrawals,
              (SELECT count(*)::int FROM ledger_transfers t JOIN withdrawals w ON w.id = t.withdrawal_id
                WHERE w.user_id = $1 AND t.kind = 'pending') AS holds`,
      [userId],
    );
    return row;
  }

  it('50 concurrent withdrawals of the whole balance: exactly one 202, 49 × 422 insufficient_funds, never overdrawn', async () => {
    const alice = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    const watcher = new BalanceInvariantWatcher(env.databaseUrl, [alice.id]);
    await watcher.start();
    const answers = await Promise.all(Array.from({ length: 50 }, () => withdraw(alice, '1')));
    const watched = await watcher.stop();

    expect(tally(answers)).toEqual({ '202': 1, '422 insufficient_funds': 49 });
    for (const a of answers.filter((a) => a.status === 422)) {
      expect(a.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(a.body).toMatchObject({ status: 422, code: 'insufficient_funds' });
    }
    expect((await alice.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '0', held: '1' }]);
    expect(await withdrawalsOf(alice.id)).toEqual({ withdrawals: 1, holds: 1 });
    // A refused request leaves nothing behind: no job for a withdrawal that does not exist, one audit entry.
    const [left] = await env.admin.query(
      `SELECT (SELECT count(*)::int FROM outbox o WHERE o.data ? 'withdrawalId' AND NOT EXISTS (SELECT 1 FROM withdrawals w WHERE w.id::text = o.data->>'withdrawalId')) AS orphans,
              (SELECT count(*)::int FROM audit_events WHERE user_id = $1 AND event = 'withdrawal_requested') AS requested`,
      [alice.id],
    );
    expect(left).toEqual({ orphans: 0, requested: 1 });

    expect(watched.violations).toEqual([]);
    expect(watched.samples).toBeGreaterThan(0);
    const versions = await accountVersions(env.admin, [alice.id]);
    expect(versions.overdrawn).toEqual([]);
    // Created, credited by the deposit, reserved once: every committed state of the account, all checked.
    expect(versions.transactions).toBe(2);
    expect(await ledgerFaults(env.admin)).toEqual([]);
    figures.wholeBalance = { answers: tally(answers), pollerSamples: watched.samples, committedAccountVersions: versions.versions };
  });

  it('50 concurrent withdrawals of 0.03 against 1: exactly 33 accepted, 17 refused, 0.01 left', async () => {
    const bob = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    const watcher = new BalanceInvariantWatcher(env.databaseUrl, [bob.id]);
    await watcher.start();
    const answers = await Promise.all(Array.from({ length: 50 }, () => withdraw(bob, '0.03')));
    const watched = await watcher.stop();

    expect(tally(answers)).toEqual({ '202': 33, '422 insufficient_funds': 17 });
    expect((await bob.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '0.01', held: '0.99' }]);
    expect(await withdrawalsOf(bob.id)).toEqual({ withdrawals: 33, holds: 33 });
    expect(watched.violations).toEqual([]);
    const versions = await accountVersions(env.admin, [bob.id]);
    expect(versions.overdrawn).toEqual([]);
    expect(versions.transactions).toBe(1 + 33);
    expect(await ledgerFaults(env.admin)).toEqual([]);
    figures.partialBalance = {
      answers: tally(answers),
      pollerSamples: watched.samples,
      distinctStatesSeen: watched.distinctStates,
      committedAccountVersions: versions.versions,
    };
  });

  it('withdrawals racing deposits: every accepted withdrawal was covered at its commit, whatever the interleaving', async () => {
    const carol = await enrolCustomer(env, suite.baseUrl, { deposit: '0.5' });
    const watcher = new BalanceInvariantWatcher(env.databaseUrl, [carol.id]);
    await watcher.start();
    const requests: Promise<ApiResponse>[] = [];
    for (let i = 0; i < 40; i++) {
      requests.push(withdraw(carol, '0.1'));
      if (i % 4 === 0) {
        requests.push(operator.post('/v1/admin/deposits', { userId: carol.id, asset: 'BTC', amount: '0.1', reference: `race-${carol.id}-${i}` }));
      }
    }
    const answers = await Promise.all(requests);
    const watched = await watcher.stop();

    const deposits = answers.filter((a) => a.status === 201);
    const accepted = answers.filter((a) => a.status === 202).length;
    const refused = answers.filter((a) => a.status === 422 && a.body.code === 'insufficient_funds').length;
    expect(deposits).toHaveLength(10);
    expect(accepted + refused).toBe(40);
    expect(accepted).toBeGreaterThanOrEqual(5);
    expect(accepted).toBeLessThanOrEqual(15);
    const held = (accepted / 10).toString();
    const available = ((15 - accepted) / 10).toString();
    expect((await carol.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available, held }]);
    expect(watched.violations).toEqual([]);
    expect((await accountVersions(env.admin, [carol.id])).overdrawn).toEqual([]);
    expect(await ledgerFaults(env.admin)).toEqual([]);
    figures.racingDeposits = { accepted, refused, deposits: deposits.length, pollerSamples: watched.samples };
  });

  it('twenty concurrent requests with one Idempotency-Key and one body: one withdrawal, twenty identical answers', async () => {
    const dave = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    const key = `same-${randomBytes(6).toString('hex')}`;
    const answers = await Promise.all(Array.from({ length: 20 }, () => withdraw(dave, '0.4', key)));
    expect(tally(answers)).toEqual({ '202': 20 });
    const first = answers[0].body;
    expect(first.status).toBe('pending_confirmation');
    for (const a of answers) expect(a.body).toEqual(first);
    expect(await withdrawalsOf(dave.id)).toEqual({ withdrawals: 1, holds: 1 });
    expect((await dave.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '0.6', held: '0.4' }]);

    // Later, the same key: the same withdrawal; with another body: a conflict, and nothing new.
    expect((await withdraw(dave, '0.4', key)).body.id).toBe(first.id);
    const conflict = await withdraw(dave, '0.5', key);
    expect([conflict.status, conflict.body.code]).toEqual([422, 'idempotency_conflict']);
    expect(await withdrawalsOf(dave.id)).toEqual({ withdrawals: 1, holds: 1 });
    expect(await ledgerFaults(env.admin)).toEqual([]);
  });

  it('one key, two bodies, fired together: one body wins, its requests share one answer, the other body is idempotency_conflict', async () => {
    const erin = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    const key = `split-${randomBytes(6).toString('hex')}`;
    const bodies = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? '0.2' : '0.3'));
    const answers = await Promise.all(bodies.map((amount) => withdraw(erin, amount, key)));
    const winner = answers.find((a) => a.status === 202)!.body;
    for (let i = 0; i < answers.length; i++) {
      if (bodies[i] === winner.amount) expect(answers[i].body).toEqual(winner);
      else expect([answers[i].status, answers[i].body.code]).toEqual([422, 'idempotency_conflict']);
    }
    expect(await withdrawalsOf(erin.id)).toEqual({ withdrawals: 1, holds: 1 });
    expect((await erin.client.get('/v1/me/balances')).body).toEqual([
      { asset: 'BTC', available: String(Math.round((1 - Number(winner.amount)) * 10) / 10), held: winner.amount },
    ]);
    figures.splitKeyWinner = winner.amount;
  });

  it('a request waiting on a decision about its customer never deadlocks with it: the customer, then the accounts, in both', async () => {
    const erin = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    // What a decision does: its customer's row FOR UPDATE first, then (posting) the customer's account.
    const decision = env.admin.createQueryRunner();
    await decision.connect();
    try {
      await decision.startTransaction();
      await decision.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [erin.id]);
      const request = withdraw(erin, '0.2');
      const waiting = async () => {
        const [{ n }] = await env.admin.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1`,
          [(await decision.query('SELECT pg_backend_pid() AS pid'))[0].pid],
        );
        return n;
      };
      for (let i = 0; i < 100 && (await waiting()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await waiting()).toBe(1);
      // A request that had locked the account before its customer would deadlock here (and one side fail).
      await decision.query(`UPDATE ledger_accounts SET debits_pending = debits_pending WHERE kind = 'customer' AND user_id = $1`, [erin.id]);
      await decision.commitTransaction();
      const answer = await request;
      expect([answer.status, answer.body.code]).toEqual([202, undefined]);
    } finally {
      if (decision.isTransactionActive) await decision.rollbackTransaction();
      await decision.release();
    }
    expect((await erin.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '0.8', held: '0.2' }]);
    expect(await ledgerFaults(env.admin)).toEqual([]);
  });

  it('deposits are idempotent by reference: once credited, replays answer the same transfer, another amount is a conflict', async () => {
    const frank = await enrolCustomer(env, suite.baseUrl);
    const deposit = (amount: string, reference: string, userId = frank.id) =>
      operator.post('/v1/admin/deposits', { userId, asset: 'BTC', amount, reference });
    const reference = `chain-tx-${randomBytes(6).toString('hex')}`;

    const first = await deposit('1.25', reference);
    expect(first.status).toBe(201);
    const again = await deposit('1.25', reference);
    expect([again.status, again.body.transferId]).toEqual([200, first.body.transferId]);
    const otherAmount = await deposit('2', reference);
    expect([otherAmount.status, otherAmount.body.code]).toEqual([422, 'idempotency_conflict']);
    const otherUser = await deposit('1.25', reference, `someone-else-${randomBytes(3).toString('hex')}`);
    expect([otherUser.status, otherUser.body.code]).toEqual([422, 'idempotency_conflict']);

    // Twenty at once with a fresh reference: one credit.
    const burstReference = `chain-tx-${randomBytes(6).toString('hex')}`;
    const burst = await Promise.all(Array.from({ length: 20 }, () => deposit('0.75', burstReference)));
    expect(tally(burst)).toEqual({ '201 undefined': 1, '200 undefined': 19 });
    expect(new Set(burst.map((b) => b.body.transferId)).size).toBe(1);

    expect((await frank.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '2', held: '0' }]);
    const [{ n }] = await env.admin.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE deposit_reference = ANY($1)`, [
      [reference, burstReference],
    ]);
    expect(n).toBe(2);
    expect(await ledgerFaults(env.admin)).toEqual([]);
  });
});
