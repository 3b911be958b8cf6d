import { QueueName, redisConnection } from '@app/queue';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { AppProcess } from './support/app-processes';
import { ConfirmationChannels } from './support/confirmation-channels';
import { enrolCustomer, TestCustomer } from './support/customer-factory';
import { ledgerFaults, runLedgerVerify, sleep, transfersOf, waitUntil } from './support/ledger-checks';
import { sentTo } from './support/smtp-catcher';
import { TcpProxy } from './support/tcp-proxy';
import { TestEnvironment } from './support/test-suite';

/**
 * Real processes, killed with SIGKILL at the worst moments: the confirmation service inside its posting
 * transaction, and the API between its database commit and the enqueue of the jobs that commit implies.
 * Nothing may be lost and nothing may happen twice.
 */
describe('crash recovery with real processes and SIGKILL', () => {
  const env = new TestEnvironment();
  const processes: AppProcess[] = [];
  let proxy: TcpProxy;
  let confirmerProxy: TcpProxy;
  let proxiedRedisUrl: string;
  let channels: ConfirmationChannels;
  let pushes: Queue;
  let baseUrl: string;
  const accepted: { customer: TestCustomer; id: string }[] = [];
  let doomedApi: AppProcess;

  const launch = async (app: 'api' | 'notification-worker' | 'confirmation-service', overrides: Record<string, string> = {}) => {
    const p = new AppProcess(app, { ...env.env, ...overrides });
    processes.push(p);
    return p.start();
  };
  const backends = async (role: 'api' | 'notifier' | 'confirmer', onlyLockWaits = false): Promise<{ pid: number; query: string }[]> =>
    env.admin.query(
      `SELECT pid, query FROM pg_stat_activity WHERE datname = $1 AND usename = $2 AND ($3::boolean IS FALSE OR wait_event_type = 'Lock')`,
      [env.id, `${env.id}_${role}`, onlyLockWaits],
    );
  const outboxOf = async (withdrawalId: string): Promise<{ job_id: string; published: boolean }[]> =>
    env.admin.query(`SELECT job_id, published_at IS NOT NULL AS published FROM outbox WHERE data->>'withdrawalId' = $1 ORDER BY id`, [withdrawalId]);

  beforeAll(async () => {
    await env.start({ PUBLIC_RATE_LIMIT_PER_MINUTE: '100000', VERDICT_TIMEOUT: '4s' });
    baseUrl = env.env.PUBLIC_BASE_URL;
    proxy = TcpProxy.forUrl(env.env.REDIS_URL);
    proxiedRedisUrl = await proxy.start();
    confirmerProxy = TcpProxy.forUrl(env.env.REDIS_URL);
    channels = new ConfirmationChannels(env, baseUrl);
    pushes = new Queue(QueueName.Pushes, { connection: redisConnection(env.env.REDIS_URL), prefix: env.id });
  }, 60_000);

  afterAll(async () => {
    if (process.env.TEST_LOGS === '1') for (const p of processes) console.log(p.name, p.output.filter((l) => /WARN|ERROR|failed/.test(l)).join('\n'));
    await Promise.all(processes.map((p) => p.stop()));
    await pushes?.close();
    await proxy?.stop();
    await confirmerProxy?.stop();
    await env.stop();
  }, 60_000);

  /**
   * An operator's session holding the customer's ledger account row: a posting (which updates it) then
   * blocks inside its INSERT. The outbound account's row is no longer written by postings (its balance is derived).
   */
  async function holdAccountOf(userId: string): Promise<Client> {
    const blocker = new Client({ connectionString: env.databaseUrl });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT id FROM ledger_accounts WHERE kind = 'customer' AND user_id = $1 AND asset = 'BTC' FOR UPDATE`, [userId]);
    return blocker;
  }

  it('(a) the confirmation service killed inside its posting transaction: rolled back, and after a restart the withdrawal posts exactly once', async () => {
    const started = Date.now();
    // The API reaches Redis through a proxy the test controls (used in (b); transparent until then).
    let confirmer: AppProcess;
    [doomedApi, , confirmer] = await Promise.all([
      launch('api', { REDIS_URL: proxiedRedisUrl }),
      launch('notification-worker'),
      launch('confirmation-service'),
    ]);

    const alice = await enrolCustomer(env, baseUrl, { deposit: '1' });
    const w = (await channels.requestWithdrawal(alice, '0.4')).body;
    accepted.push({ customer: alice, id: w.id });
    expect((await channels.approveEmail(alice, w.id, w.matchCode)).status).toBe(200);
    expect((await channels.approvePush(alice, w.id, w.matchCode)).status).toBe(200);

    const blocker = await holdAccountOf(alice.id);

    const totp = channels.submitTotp(alice, w.id); // the last confirmation: the posting starts
    await waitUntil(async () => (await backends('confirmer', true)).length > 0, 'the confirmer blocked on the ledger row lock', 15_000);
    const [blocked] = await backends('confirmer', true);
    expect(blocked.query).toMatch(/ledger/i); // the posting statement, waiting for the row

    expect(await confirmer.kill().then(() => 'killed')).toBe('killed'); // SIGKILL mid-transaction
    await blocker.query('ROLLBACK');
    await blocker.end();
    // Postgres finds the client gone once the statement finishes, and rolls the whole transaction back.
    await waitUntil(async () => (await backends('confirmer')).length === 0, "the dead confirmer's sessions ended", 15_000);

    expect(await transfersOf(env.admin, w.id)).toEqual({ pending: 1, post_pending: 0, void_pending: 0 });
    const mid = (await alice.client.get(`/v1/withdrawals/${w.id}`)).body;
    expect([mid.status, mid.factors]).toEqual(['pending_confirmation', { email: 'approved', push: 'approved', totp: 'pending' }]);
    expect((await alice.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '0.6', held: '0.4' }]);

    // The customer was told to try again: the verdict never came.
    const lost = await totp;
    expect([lost.status, lost.body.code]).toEqual([503, 'verdict_unavailable']);

    await launch('confirmation-service');
    // As a customer would: submit the authenticator code again. Its time step was rolled back with the rest.
    const again = await channels.submitTotp(alice, w.id);
    expect(again.status).toBe(200);
    await channels.waitForStatus(alice, w.id, 'posted');
    expect(await transfersOf(env.admin, w.id)).toEqual({ pending: 1, post_pending: 1, void_pending: 0 });
    expect((await alice.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '0.6', held: '0' }]);
    await env.smtp.waitFor((m) => sentTo(m, alice.email) && /confirmed and sent/.test(m.subject ?? ''));
    await sleep(300);
    expect(env.smtp.count((m) => sentTo(m, alice.email) && /confirmed and sent/.test(m.subject ?? ''))).toBe(1);
    const [{ n }] = await env.admin.query(`SELECT count(*)::int AS n FROM audit_events WHERE withdrawal_id = $1 AND event = 'factor_approved'`, [
      w.id,
    ]);
    expect(n).toBe(3); // the killed transaction's approval left no trace
    expect(await ledgerFaults(env.admin)).toEqual([]);
    console.log(`crash-recovery (a): ${Date.now() - started} ms`);
  }, 120_000);

  it('(b) the API killed after its commit and before its enqueue: the restarted API publishes, the withdrawal completes once', async () => {
    const started = Date.now();
    const bob = await enrolCustomer(env, baseUrl, { deposit: '1' });
    // The other apps stop, so that their outbox relays (which share the outbox) cannot publish for the API.
    await Promise.all(processes.filter((p) => p !== doomedApi).map((p) => p.stop()));

    proxy.blackhole(); // Redis stops answering the API
    const requested = await channels.requestWithdrawal(bob, '0.3');
    expect([requested.status, requested.body.status]).toEqual([202, 'pending_confirmation']); // the 202 comes from the commit
    const id: string = requested.body.id;
    accepted.push({ customer: bob, id });
    await sleep(1000); // several relay polls: each one stuck on Redis
    const stranded = await outboxOf(id);
    expect(stranded.map((r) => r.job_id)).toContain(`challenges.${id}`);
    expect(stranded.every((r) => !r.published)).toBe(true);

    await doomedApi.kill(); // SIGKILL between commit and enqueue
    await waitUntil(async () => (await backends('api')).length === 0, "the dead API's sessions ended", 15_000);
    expect(await outboxOf(id)).toEqual(stranded); // still there, still unpublished: the commit survived, the enqueue never happened
    expect(await pushes.getJob(`challenges.${id}`)).toBeUndefined();
    expect(env.smtp.count((m) => sentTo(m, bob.email) && /Confirm your withdrawal/.test(m.subject ?? ''))).toBe(0);
    expect(await transfersOf(env.admin, id)).toEqual({ pending: 1, post_pending: 0, void_pending: 0 });

    // Restarted with a working Redis: its relay publishes what the dead one could not.
    await launch('api');
    await waitUntil(async () => (await outboxOf(id)).every((r) => r.published), 'the restarted API published the stranded jobs', 15_000);
    expect((await pushes.getJob(`challenges.${id}`))?.data).toMatchObject({ withdrawalId: id, signature: { producer: 'api' } });

    await Promise.all([launch('notification-worker'), launch('confirmation-service')]);
    const w = (await bob.client.get(`/v1/withdrawals/${id}`)).body;
    expect((await channels.approveEmail(bob, id, w.matchCode)).status).toBe(200);
    expect((await channels.approvePush(bob, id, w.matchCode)).status).toBe(200);
    expect((await channels.submitTotp(bob, id)).status).toBe(200);
    await channels.waitForStatus(bob, id, 'posted');
    expect(await transfersOf(env.admin, id)).toEqual({ pending: 1, post_pending: 1, void_pending: 0 });
    expect((await bob.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '0.7', held: '0' }]);
    expect(env.smtp.count((m) => sentTo(m, bob.email) && /Confirm your withdrawal/.test(m.subject ?? ''))).toBe(1);
    console.log(`crash-recovery (b): ${Date.now() - started} ms`);
  }, 120_000);

  it('(c) the confirmation service killed after its posting committed, before it published: the wallet still hears of it once', async () => {
    const started = Date.now();
    await Promise.all(processes.filter((p) => p.name === 'confirmation-service').map((p) => p.stop()));
    const confirmer = await launch('confirmation-service', { REDIS_URL: await confirmerProxy.start() });
    const carol = await enrolCustomer(env, baseUrl, { deposit: '1' });
    const w = (await channels.requestWithdrawal(carol, '0.2')).body;
    accepted.push({ customer: carol, id: w.id });
    expect((await channels.approveEmail(carol, w.id, w.matchCode)).status).toBe(200);
    expect((await channels.approvePush(carol, w.id, w.matchCode)).status).toBe(200);

    const blocker = await holdAccountOf(carol.id);
    const totp = channels.submitTotp(carol, w.id);
    await waitUntil(async () => (await backends('confirmer', true)).length > 0, 'the confirmer blocked on the ledger row lock', 15_000);
    confirmerProxy.blackhole(); // from now on the confirmer can reach Postgres but not Redis
    await blocker.query('ROLLBACK');
    await blocker.end();
    // The posting commits; publishing withdrawals-posted (and finishing the job) hangs on Redis.
    await waitUntil(
      async () => (await env.admin.query('SELECT status FROM withdrawals WHERE id = $1', [w.id]))[0].status === 'posted',
      'posted',
      15_000,
    );
    await confirmer.kill();
    await waitUntil(async () => (await backends('confirmer')).length === 0, "the dead confirmer's sessions ended", 15_000);

    // The surviving apps' relays publish what the dead one committed; the wallet sees it exactly once.
    await waitUntil(async () => (await outboxOf(w.id)).every((r) => r.published), 'the committed jobs published by a surviving relay', 15_000);
    const posted = new Queue(QueueName.WithdrawalsPosted, { connection: redisConnection(env.env.REDIS_URL), prefix: env.id });
    try {
      const jobs = (await posted.getJobs(['waiting', 'active', 'completed', 'delayed'])).filter((j) => j.data.withdrawalId === w.id);
      expect(jobs.map((j) => j.id)).toEqual([w.id]);
    } finally {
      await posted.close();
    }
    expect(await transfersOf(env.admin, w.id)).toEqual({ pending: 1, post_pending: 1, void_pending: 0 });
    await env.smtp.waitFor((m) => sentTo(m, carol.email) && /confirmed and sent/.test(m.subject ?? ''));
    // The customer was answered "try again" although the withdrawal went through; the status document tells the truth.
    const answer = await totp;
    expect([answer.status, answer.body.code]).toEqual([503, 'verdict_unavailable']);
    expect((await carol.client.get(`/v1/withdrawals/${w.id}`)).body.status).toBe('posted');
    await launch('confirmation-service');
    const again = await channels.submitTotp(carol, w.id, 0);
    expect([again.status, again.body.code]).toEqual([409, 'withdrawal_not_pending']);
    await sleep(300);
    expect(env.smtp.count((m) => sentTo(m, carol.email) && /confirmed and sent/.test(m.subject ?? ''))).toBe(1);
    expect((await carol.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '0.8', held: '0' }]);
    console.log(`crash-recovery (c): ${Date.now() - started} ms`);
  }, 120_000);

  it('after all three crashes: no withdrawal lost, none posted twice, and `npm run ledger:verify` is clean', async () => {
    for (const { customer, id } of accepted) {
      expect((await customer.client.get(`/v1/withdrawals/${id}`)).body.status).toBe('posted');
      expect(await transfersOf(env.admin, id)).toEqual({ pending: 1, post_pending: 1, void_pending: 0 });
    }
    const [{ withdrawals, postings }] = await env.admin.query(
      `SELECT (SELECT count(*)::int FROM withdrawals) AS withdrawals,
              (SELECT count(*)::int FROM ledger_transfers WHERE kind = 'post_pending') AS postings`,
    );
    expect({ withdrawals, postings }).toEqual({ withdrawals: accepted.length, postings: accepted.length });
    const verify = await runLedgerVerify(env.env);
    expect([verify.code, verify.stdout.trim().split('\n').pop()]).toEqual([0, 'ledger:verify: clean']);
  }, 60_000);
});
