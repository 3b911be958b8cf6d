import { publicKeyFromBase64, seal } from '@app/crypto';
import { JOB_PRODUCERS, redisConnection } from '@app/queue';
import { Client } from 'pg';
import { auditOf, balanceOf, settledJobs, waitUntil } from './support/attack-kit';
import { enrolCustomer, EnrolledCustomer } from './support/customer-factory';
import { connectAs, refusal, SqlRefusal } from './support/db-roles';
import { ledgerFaults, transfersOf } from './support/ledger-checks';
import { sentTo } from './support/smtp-catcher';
import { useSuite } from './support/use-suite';
import { Queue } from 'bullmq';
import { REDIS_URL } from './support/test-suite';

const PERMISSION_DENIED = '42501';
const CHECK_VIOLATION = '23514';

/**
 * Issue #8, item 4: the insider who holds the API's database password (and nothing else) runs the
 * playbook that once moved 1.5 BTC of a customer's to an address of theirs, step by step, in SQL. Each step
 * is refused by Postgres, or lands and is harmless; nothing is posted and the ledger stays clean.
 */
describe("insider with the API's database password", () => {
  const t = useSuite();
  let api: Client;
  let victim: EnrolledCustomer;
  let attacker: EnrolledCustomer;
  const attackerAddress = 'bc1qinsider000000000000000000000000000000';
  const steps: { step: string; outcome: SqlRefusal | 'accepted' }[] = [];

  /** Runs one step of the playbook as the API's role and records what Postgres said. */
  const attempt = async (step: string, sql: string, params: unknown[] = []) => {
    const outcome = (await refusal(api.query(sql, params))) ?? 'accepted';
    steps.push({ step, outcome });
    return outcome;
  };

  beforeAll(async () => {
    victim = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '2' });
    attacker = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '0.1' });
    api = await connectAs(t.env, 'api');
  });
  afterAll(async () => {
    await api?.end();
  });

  it('takes over the victim account step by step: every factor step is refused by Postgres', async () => {
    const v = victim.id;
    expect(
      await attempt(
        'point the email at the attacker, verified',
        `UPDATE users SET email = 'me@attacker.test', email_verified_at = now() WHERE id = $1`,
        [v],
      ),
    ).toMatchObject({
      code: PERMISSION_DENIED,
    });
    expect(
      await attempt(
        'verify an email of the attacker through a verification row',
        `INSERT INTO email_verifications (user_id, email, token_hash, expires_at) VALUES ($1, 'me@attacker.test', '\\x00', now() + interval '1 day')`,
        [v],
      ),
    ).toMatchObject({ code: PERMISSION_DENIED });
    expect(await attempt('clear the security lock', `UPDATE users SET withdrawals_locked_until = NULL WHERE id = $1`, [v])).toMatchObject({
      code: PERMISSION_DENIED,
    });
    expect(
      await attempt(
        'register a new account with a verified email and no lock',
        `INSERT INTO users (id, email, email_verified_at) VALUES ('insider-made', 'me@attacker.test', now())`,
      ),
    ).toMatchObject({ code: PERMISSION_DENIED });
    const device = t.env.push.newSubscription();
    expect(
      await attempt('add a push device of the attacker', `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)`, [
        v,
        device.endpoint,
        device.keys.p256dh,
        device.keys.auth,
      ]),
    ).toMatchObject({ code: PERMISSION_DENIED });
    // The sealing key is public: anyone can seal a secret of their own for the confirmation service.
    const sealedSecret = seal(publicKeyFromBase64(t.env.env.TOTP_SEAL_PUBLIC_KEY), 'JBSWY3DPEHPK3PXP', `totp/${v}`);
    expect(
      await attempt('enrol an authenticator of the attacker', `INSERT INTO totp_enrolments (user_id, sealed_secret) VALUES ($1, $2)`, [
        v,
        sealedSecret,
      ]),
    ).toMatchObject({ code: PERMISSION_DENIED });
    expect(await attempt('activate it', `UPDATE totp_enrolments SET status = 'active', activated_at = now() WHERE user_id = $1`, [v])).toMatchObject({
      code: PERMISSION_DENIED,
    });
    expect(await attempt("read the victim's TOTP secret", `SELECT sealed_secret FROM totp_enrolments WHERE user_id = $1`, [v])).toMatchObject({
      code: PERMISSION_DENIED,
    });
    expect(
      await attempt(
        'add the attacker address, usable now',
        `INSERT INTO withdrawal_addresses (user_id, asset, network, address, label, usable_at) VALUES ($1, 'BTC', 'bitcoin', $2, 'x', now())`,
        [v, attackerAddress],
      ),
    ).toMatchObject({ code: PERMISSION_DENIED });
    expect(
      await attempt("make the victim's address usable now", `UPDATE withdrawal_addresses SET usable_at = now() WHERE user_id = $1`, [v]),
    ).toMatchObject({
      code: PERMISSION_DENIED,
    });
    // Held open in a transaction, the confirmation service's decision locks would stall every confirmation of the victim's.
    expect(
      await attempt(
        "take the locks a confirmation decides under, on the victim's rows",
        `SELECT * FROM withdrawal_decision_locks((SELECT id FROM withdrawals WHERE user_id = $1 LIMIT 1), NULL, $1)`,
        [v],
      ),
    ).toMatchObject({ code: PERMISSION_DENIED });
  });

  it('creates the withdrawal to the attacker anyway: refused unless it goes to a usable address of the victim', async () => {
    const [own] = await t.env.admin.query(`SELECT id, address FROM withdrawal_addresses WHERE user_id = $1`, [victim.id]);
    const insert = `INSERT INTO withdrawals (user_id, address_id, asset, network, address, amount, match_code, match_choices, idempotency_key, request_hash, expires_at)
                    VALUES ($1, $2, 'BTC', 'bitcoin', $3, 1.5, '11', ARRAY['11','22','33'], $4, '\\x00', now() + interval '10 minutes') RETURNING id`;
    expect(
      await attempt("withdraw to the attacker's address through the victim's address id", insert, [victim.id, own.id, attackerAddress, 'insider-1']),
    ).toMatchObject({
      code: CHECK_VIOLATION,
      constraint: 'withdrawals_address_usable',
    });
    const [theirs] = await t.env.admin.query(`SELECT id, address FROM withdrawal_addresses WHERE user_id = $1`, [attacker.id]);
    expect(
      await attempt("withdraw the victim's funds through the attacker's own address", insert, [victim.id, theirs.id, theirs.address, 'insider-2']),
    ).toMatchObject({
      code: CHECK_VIOLATION,
      constraint: 'withdrawals_address_usable',
    });
  });

  it('queues the jobs that would confirm or post it through the outbox: refused, and what the API may queue is unsigned and refused by its consumer', async () => {
    const forbidden = [
      ['confirmations', 'activate-totp', { userId: victim.id, sealed: 'x' }],
      ['confirmations', 'verify-totp', { userId: victim.id, withdrawalId: '00000000-0000-0000-0000-000000000000', sealed: 'x' }],
      ['confirmations', 'credit-deposit', { operatorId: 'op', userId: attacker.id, asset: 'BTC', amount: '1000', reference: 'insider', sealed: 'x' }],
      ['confirmations', 'unfreeze-account', { operatorId: 'op', userId: victim.id, sealed: 'x' }],
      ['withdrawals-posted', 'withdrawal-posted', { withdrawalId: '00000000-0000-0000-0000-000000000000', amount: '1.5', address: attackerAddress }],
      ['notifications', 'send-security-alert', { userId: victim.id, alert: 'security_change_reported', dedupeKey: 'insider' }],
    ] as const;
    for (const [queue, name, data] of forbidden) {
      expect(
        await attempt(`queue ${queue}/${name} through the outbox`, `INSERT INTO outbox (queue, name, job_id, data) VALUES ($1, $2, $3, $4)`, [
          queue,
          name,
          `insider.${name}`,
          JSON.stringify(data),
        ]),
      ).toMatchObject({ code: PERMISSION_DENIED, constraint: 'outbox_producer_not_allowed' });
    }

    // A name the API may put in the outbox, but without the API's signing key: published, then refused by the notifier.
    expect(
      await attempt(
        'queue send-withdrawal-challenges (a name the API may produce), unsigned',
        `INSERT INTO outbox (queue, name, job_id, data) VALUES ('notifications', 'send-withdrawal-challenges', 'insider.challenges', $1)`,
        [JSON.stringify({ withdrawalId: '00000000-0000-0000-0000-000000000000' })],
      ),
    ).toBe('accepted');
    const notifications = new Queue('notifications', { connection: redisConnection(REDIS_URL), prefix: t.env.id });
    try {
      await waitUntil(async () => Boolean(await notifications.getJob('insider.challenges')));
      const [outcome] = await settledJobs(notifications, ['insider.challenges']);
      expect(outcome).toEqual({ id: 'insider.challenges', state: 'failed', value: 'job refused: unsigned' });
    } finally {
      await notifications.close();
    }
    const [row] = await t.env.admin.query(`SELECT producer FROM outbox WHERE job_id = 'insider.challenges'`);
    expect(row.producer).toBe('api'); // the row names who wrote it, whatever it claimed

    // What the outbox accepts from each app is never more than what consumers accept from it.
    const producers: { app: string; queue: string; name: string }[] = await t.env.admin.query(`SELECT app, queue, name FROM outbox_producers`);
    for (const p of producers) {
      const allowed = (JOB_PRODUCERS as Record<string, Record<string, readonly string[]>>)[p.queue]?.[p.name] ?? [];
      expect([p.app, p.queue, p.name, allowed.includes(p.app)]).toEqual([p.app, p.queue, p.name, true]);
    }
  });

  it("writes the audit log in an operator's name and unfreezes every frozen account: the actor is forced to 'api', the freeze stays", async () => {
    const op = t.env.operator(t.suite.baseUrl);
    expect((await op.post(`/v1/admin/users/${encodeURIComponent(victim.id)}/freeze`, { reason: 'under investigation' })).status).toBe(204);

    expect(
      await attempt(
        "write an audit row in an operator's name",
        `INSERT INTO audit_events (actor, event, user_id, detail) VALUES ('operator:head-of-security', 'account_unfrozen', $1, '{}')`,
        [victim.id],
      ),
    ).toBe('accepted');
    const [written] = await auditOf(t.env, t.suite.baseUrl, { userId: victim.id, event: 'account_unfrozen' });
    expect(written.actor).toBe('api');

    expect(
      await attempt(
        'unfreeze every frozen account',
        `UPDATE users SET withdrawals_frozen_at = NULL, frozen_reason = NULL WHERE withdrawals_frozen_at IS NOT NULL`,
      ),
    ).toMatchObject({
      code: PERMISSION_DENIED,
    });
    expect((await victim.client.get('/v1/me/security')).body.frozen).toBe(true);
    expect(await op.post(`/v1/admin/users/${encodeURIComponent(victim.id)}/unfreeze`)).toMatchObject({ status: 204 });
  });

  it('ends with nothing posted, no balance moved, the victim informed of nothing false, and a clean ledger', async () => {
    expect(await balanceOf(victim)).toEqual({ available: '2', held: '0' });
    expect(await balanceOf(attacker)).toEqual({ available: '0.1', held: '0' });
    const postings: { n: number }[] = await t.env.admin.query(
      `SELECT count(*)::int AS n FROM ledger_transfers t JOIN withdrawals w ON w.id = t.withdrawal_id WHERE w.user_id = $1`,
      [victim.id],
    );
    expect(postings[0].n).toBe(0);
    const security = (await victim.client.get('/v1/me/security')).body;
    expect(security.email).toEqual({ address: victim.email, verified: true });
    expect(t.env.smtp.count((m) => sentTo(m, 'me@attacker.test'))).toBe(0);
    expect(await ledgerFaults(t.env.admin)).toEqual([]);
    expect(await transfersOf(t.env.admin, '00000000-0000-0000-0000-000000000000')).toEqual({ pending: 0, post_pending: 0, void_pending: 0 });

    // The playbook, as the note reports it: every step named with what Postgres answered.
    const summary = steps.map(
      (s) =>
        `${s.step}: ${s.outcome === 'accepted' ? 'accepted (harmless)' : `${s.outcome.code}${s.outcome.constraint ? ` ${s.outcome.constraint}` : ''}`}`,
    );
    expect(summary.filter((line) => line.includes('accepted'))).toEqual([
      'queue send-withdrawal-challenges (a name the API may produce), unsigned: accepted (harmless)',
      "write an audit row in an operator's name: accepted (harmless)",
    ]);
    process.stdout.write(`insider playbook as the API role:\n  ${summary.join('\n  ')}\n`);
  });
});
