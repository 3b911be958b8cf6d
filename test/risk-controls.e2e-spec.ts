import { INestApplication } from '@nestjs/common';
import { QueueName } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { RiskClock } from '../apps/api/src/risk/risk-clock';
import { RiskCounters } from '../apps/api/src/risk/risk-counters';
import { metricValue, statusOf } from './support/attack-kit';
import { startExtraApi } from './support/client-address';
import { TestCustomer } from './support/customer-factory';
import { connectAs, probe, refusal } from './support/db-roles';
import { currentStep } from './support/direct-customer';
import { ledgerFaults, transfersOf, waitUntil } from './support/ledger-checks';
import { confirmAllThree, DOC_IPS, fundedCustomer, requestWithdrawal } from './support/risk-kit';
import { sentTo } from './support/smtp-catcher';
import { useSuite } from './support/use-suite';

const ALERTS = 'risk-desk@countersign.test';

/**
 * Anomaly holds (shared/API.md "Risk controls"): more than ANOMALY_MAX_ACCOUNTS distinct customers from
 * one IP, one X-Device-Id or to one destination within ANOMALY_WINDOW, and every further matching
 * withdrawal is created `held` — counted in Redis, so every API instance sees the same window. A held
 * withdrawal keeps its hold and collects its confirmations, and posts only after an operator's release.
 */
describe('anomaly holds', () => {
  const t = useSuite({
    TRUST_PROXY: '1',
    ANOMALY_WINDOW: '10m',
    ANOMALY_MAX_ACCOUNTS: '3',
    AUTO_PAUSE_MIN_PER_MINUTE: '100000',
    OPERATOR_ALERT_EMAIL: ALERTS,
    PUBLIC_RATE_LIMIT_PER_MINUTE: '100000',
  });
  let second: { app: INestApplication; baseUrl: string };

  beforeAll(async () => {
    second = await startExtraApi(t.env);
  });
  afterAll(async () => {
    await second?.app.close();
  });

  const customers = (n: number, options: { address?: string } = {}) =>
    Promise.all(Array.from({ length: n }, () => fundedCustomer(t.env, t.suite.baseUrl, options)));

  it('holds the 4th distinct account on one IP whichever of two API instances it reaches, and every later one on that IP', async () => {
    const ip = DOC_IPS.testNet3(10);
    const [a, b, c, d] = await customers(4);
    const answers = [];
    // Alternate between the two instances: each sees the other's count.
    for (const [i, customer] of [a, b, c, d].entries()) {
      answers.push(await requestWithdrawal(customer, '0.1', { ip, baseUrl: i % 2 === 0 ? t.suite.baseUrl : second.baseUrl }));
    }
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202]);
    expect(answers.map((r) => r.body.status)).toEqual(['pending_confirmation', 'pending_confirmation', 'pending_confirmation', 'held']);
    expect(answers[3].body.reason).toBe('anomaly_ip');
    // A held withdrawal's answer is its status document too, as a poll reads it.
    expect((await d.client.get(`/v1/withdrawals/${answers[3].body.id}`)).body).toEqual(answers[3].body);
    // Once the key has more than three accounts, a fifth request — even by one of the first three — is held too.
    const again = await requestWithdrawal(a, '0.1', { ip, baseUrl: second.baseUrl });
    expect(again.body).toMatchObject({ status: 'held', reason: 'anomaly_ip' });
    // Another address is another key.
    expect((await requestWithdrawal(d, '0.1', { ip: DOC_IPS.testNet3(11) })).body.status).toBe('pending_confirmation');
  });

  it('holds the 4th distinct account on one X-Device-Id, and the 4th to one destination', async () => {
    const device = 'frontend-device-7f3a';
    const byDevice = await customers(4);
    const deviceAnswers = [];
    for (const [i, customer] of byDevice.entries()) {
      deviceAnswers.push((await requestWithdrawal(customer, '0.1', { ip: DOC_IPS.testNet1(20 + i), device })).body);
    }
    expect(deviceAnswers.map((w) => [w.status, w.reason])).toEqual([
      ['pending_confirmation', null],
      ['pending_confirmation', null],
      ['pending_confirmation', null],
      ['held', 'anomaly_device'],
    ]);

    const destination = 'bc1qsharedattackerdestination00000000000001';
    const toOne = await customers(4, { address: destination });
    const destinationAnswers = [];
    for (const [i, customer] of toOne.entries()) {
      destinationAnswers.push((await requestWithdrawal(customer, '0.1', { ip: DOC_IPS.testNet1(40 + i), device: `own-device-${i}` })).body);
    }
    expect(destinationAnswers.map((w) => [w.status, w.reason])).toEqual([
      ['pending_confirmation', null],
      ['pending_confirmation', null],
      ['pending_confirmation', null],
      ['held', 'anomaly_destination'],
    ]);
  });

  it('keeps holding when Redis does not answer: the same counts are taken from Postgres', async () => {
    const spy = jest.spyOn(t.suite.api.get(RiskCounters), 'count').mockRejectedValue(new Error('Command timed out'));
    try {
      const ip = DOC_IPS.testNet2(50);
      const four = await customers(4);
      const answers = [];
      for (const customer of four) answers.push((await requestWithdrawal(customer, '0.1', { ip })).body);
      expect(answers.map((w) => [w.status, w.reason])).toEqual([
        ['pending_confirmation', null],
        ['pending_confirmation', null],
        ['pending_confirmation', null],
        ['held', 'anomaly_ip'],
      ]);
      expect(spy).toHaveBeenCalledTimes(4);
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses an X-Device-Id that is not a bounded printable identifier', async () => {
    const [customer] = await customers(1);
    const long = await requestWithdrawal(customer, '0.1', { ip: DOC_IPS.testNet1(60), device: 'd'.repeat(201) });
    expect([long.status, long.body.code]).toEqual([400, 'validation_failed']);
  });

  /** Four customers on one IP: the 4th withdrawal is held. */
  async function heldWithdrawal(ipHost: number): Promise<{ customer: TestCustomer; w: any; others: any[] }> {
    const ip = DOC_IPS.testNet2(ipHost);
    const four = await customers(4);
    const docs = [];
    for (const customer of four) docs.push((await requestWithdrawal(customer, '0.25', { ip })).body);
    expect(docs[3]).toMatchObject({ status: 'held', reason: 'anomaly_ip' });
    return { customer: four[3], w: docs[3], others: docs.slice(0, 3) };
  }

  it('places the hold and sends the challenges of a held withdrawal, records its confirmations, and never posts it unreleased', async () => {
    const { customer, w } = await heldWithdrawal(30);
    expect((await customer.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '9.75', held: '0.25' }]);
    const confirmations = await confirmAllThree(t.channels, customer, w);
    expect([confirmations.email.status, confirmations.push.status, confirmations.totp.status]).toEqual([200, 200, 200]);
    const doc = await statusOf(customer, w.id);
    expect(doc).toMatchObject({ status: 'held', reason: 'anomaly_ip', factors: { email: 'approved', push: 'approved', totp: 'approved' } });
    expect((await transfersOf(t.env.admin, w.id)).post_pending).toBe(0);

    // Whatever the confirmation service's role tries, Postgres refuses to post a held withdrawal.
    const confirmer = await connectAs(t.env, 'confirmer');
    try {
      const [{ id: holdId }] = (await confirmer.query(`SELECT id FROM ledger_transfers WHERE withdrawal_id = $1 AND kind = 'pending'`, [w.id])).rows;
      const post = await probe(confirmer, () =>
        refusal(
          confirmer.query(
            `INSERT INTO ledger_transfers (kind, pending_id, debit_account_id, credit_account_id, asset, amount)
                                 SELECT 'post_pending', id, debit_account_id, credit_account_id, asset, amount FROM ledger_transfers WHERE id = $1`,
            [holdId],
          ),
        ),
      );
      expect(post).toMatchObject({ code: '23514', constraint: 'ledger_three_of_three' });
    } finally {
      await confirmer.end();
    }
    // And the API's role can neither release it nor insert a withdrawal held for a reason of its own making.
    const api = await connectAs(t.env, 'api');
    try {
      const release = await probe(api, () => refusal(api.query(`UPDATE withdrawals SET status = 'pending_confirmation' WHERE id = $1`, [w.id])));
      expect(release?.code).toBe('42501');
    } finally {
      await api.end();
    }
  });

  it('posts a released withdrawal with three approvals exactly once; reject voids the hold; both are audited', async () => {
    const operator = t.env.operator(t.suite.baseUrl, 'op-risk');
    const released = await heldWithdrawal(31);
    await confirmAllThree(t.channels, released.customer, released.w);
    const release = await operator.post(`/v1/admin/withdrawals/${released.w.id}/release`);
    expect([release.status, release.body.status]).toEqual([200, 'posted']);
    const again = await operator.post(`/v1/admin/withdrawals/${released.w.id}/release`);
    expect([again.status, again.body.code]).toEqual([409, 'withdrawal_not_pending']);
    expect(await transfersOf(t.env.admin, released.w.id)).toEqual({ pending: 1, post_pending: 1, void_pending: 0 });
    const posted = t.suite.api.get<Queue>(getQueueToken(QueueName.WithdrawalsPosted));
    await waitUntil(async () => (await posted.getJob(released.w.id)) !== undefined, 'the withdrawal-posted job');

    const rejected = await heldWithdrawal(32);
    const reject = await operator.post(`/v1/admin/withdrawals/${rejected.w.id}/reject`, { reason: 'one of 4 accounts on one IP in 10 minutes' });
    expect(reject.body).toMatchObject({ status: 'rejected', reason: 'one of 4 accounts on one IP in 10 minutes' });
    expect(await transfersOf(t.env.admin, rejected.w.id)).toEqual({ pending: 1, post_pending: 0, void_pending: 1 });
    expect((await rejected.customer.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '10', held: '0' }]);

    // The actor is the app that wrote the entry (Postgres sets it from the role); the operator is named in the detail.
    const events = async (withdrawalId: string) =>
      (await operator.get(`/v1/admin/audit?withdrawalId=${withdrawalId}`)).body.items.map(
        (e: { event: string; actor: string; detail: { operator?: string } }) => [e.event, e.actor, e.detail.operator ?? null],
      );
    expect(await events(released.w.id)).toEqual(
      expect.arrayContaining([
        ['withdrawal_held', 'api', null],
        ['withdrawal_released_by_operator', 'confirmation-service', 'op-risk'],
        ['withdrawal_posted', 'confirmation-service', null],
      ]),
    );
    expect(await events(rejected.w.id)).toEqual(
      expect.arrayContaining([
        ['withdrawal_held', 'api', null],
        ['withdrawal_rejected_by_operator', 'confirmation-service', 'op-risk'],
      ]),
    );
    expect(await ledgerFaults(t.env.admin)).toEqual([]);
  });

  it('shows operators, in one look, why each is held and which other withdrawals share its key', async () => {
    const { w, others } = await heldWithdrawal(33);
    const operator = t.env.operator(t.suite.baseUrl);
    const queue = (await operator.get('/v1/admin/withdrawals?status=held')).body.items;
    const item = queue.find((i: { id: string }) => i.id === w.id);
    expect(item).toMatchObject({
      status: 'held',
      reason: 'anomaly_ip',
      risk: {
        reason: 'anomaly_ip',
        key: { kind: 'ip', value: DOC_IPS.testNet2(33) },
        distinctAccounts: { ip: 4 },
      },
    });
    const sharing = item.risk.related.ip.map((r: { id: string }) => r.id).sort();
    expect(sharing).toEqual(others.map((o) => o.id).sort());
    expect(item.risk.related.ip[0]).toEqual(
      expect.objectContaining({ userId: expect.any(String), status: 'pending_confirmation', amount: '0.25', asset: 'BTC' }),
    );
  });

  it('tells operators: an audit entry per hold, /metrics by reason, and one email per anomaly key per window', async () => {
    const before = await metricValue(t.suite.baseUrl, 'countersign_withdrawal_holds_total', { reason: 'anomaly_ip' });
    const ip = DOC_IPS.testNet2(34);
    const six = await customers(6);
    for (const customer of six) await requestWithdrawal(customer, '0.1', { ip });
    // Three held on this IP (the 4th, 5th and 6th accounts) …
    expect(await metricValue(t.suite.baseUrl, 'countersign_withdrawal_holds_total', { reason: 'anomaly_ip' })).toBe(before + 3);
    // … and one email about the IP, naming it.
    const alert = await t.env.smtp.waitFor((m) => sentTo(m, ALERTS) && (m.text ?? '').includes(ip));
    expect(alert.subject).toMatch(/held/i);
    await new Promise((r) => setTimeout(r, 1500));
    expect(t.env.smtp.count((m) => sentTo(m, ALERTS) && (m.text ?? '').includes(ip))).toBe(1);
  });
});

/** VELOCITY_LIMITS caps what one customer withdraws per asset in 24 h; beyond it, `held` with reason `velocity`. */
describe('velocity limits', () => {
  const t = useSuite({ VELOCITY_LIMITS: 'BTC=1', ANOMALY_MAX_ACCOUNTS: '100000', AUTO_PAUSE_MIN_PER_MINUTE: '100000' });

  it('lets one up to the limit through and holds the one above it', async () => {
    const customer = await fundedCustomer(t.env, t.suite.baseUrl);
    expect((await requestWithdrawal(customer, '0.4')).body.status).toBe('pending_confirmation');
    expect((await requestWithdrawal(customer, '0.6')).body.status).toBe('pending_confirmation');
    const over = (await requestWithdrawal(customer, '0.000000000000000001')).body;
    expect([over.status, over.reason]).toEqual(['held', 'velocity']);
  });

  it('counts what was withdrawn or is in flight, not what ended unposted', async () => {
    const customer = await fundedCustomer(t.env, t.suite.baseUrl);
    const first = (await requestWithdrawal(customer, '0.9')).body;
    expect((await customer.client.post(`/v1/withdrawals/${first.id}/cancel`)).body.status).toBe('cancelled');
    expect((await requestWithdrawal(customer, '1')).body.status).toBe('pending_confirmation');
  });

  it('holds nothing past 24 hours: the window slides (injected clock)', async () => {
    const customer = await fundedCustomer(t.env, t.suite.baseUrl);
    expect((await requestWithdrawal(customer, '1')).body.status).toBe('pending_confirmation');
    expect((await requestWithdrawal(customer, '0.1')).body.status).toBe('held');
    const clock = t.suite.api.get(RiskClock);
    clock.advance(24 * 3600_000 + 1000);
    try {
      expect((await requestWithdrawal(customer, '0.5')).body.status).toBe('pending_confirmation');
    } finally {
      clock.reset();
    }
  });
});

/**
 * The automatic pause: customers requesting withdrawals in the last minute at least AUTO_PAUSE_MIN_PER_MINUTE and above
 * AUTO_PAUSE_FACTOR × the trailing hour's per-minute mean pause all withdrawals, `by: "automatic"`; only an
 * operator resumes; while paused confirmations are recorded and nothing posts.
 */
describe('the automatic pause', () => {
  const t = useSuite({
    AUTO_PAUSE_FACTOR: '5',
    AUTO_PAUSE_MIN_PER_MINUTE: '3',
    ANOMALY_MAX_ACCOUNTS: '100000',
    OPERATOR_ALERT_EMAIL: ALERTS,
  });

  it('lets the minimum minus one through in a quiet hour, pauses on the minimum, and only an operator resumes', async () => {
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => fundedCustomer(t.env, t.suite.baseUrl)));
    const first = (await requestWithdrawal(a, '0.1')).body;
    const second = (await requestWithdrawal(b, '0.1')).body;
    expect([first.status, second.status]).toEqual(['pending_confirmation', 'pending_confirmation']);
    const third = await requestWithdrawal(c, '0.1');
    expect([third.status, third.body.code]).toEqual([503, 'withdrawals_paused']);

    const operator = t.env.operator(t.suite.baseUrl);
    const state = (await operator.get('/v1/admin/withdrawals/pause')).body;
    expect(state).toMatchObject({ paused: true, by: 'automatic', pausedBy: 'automatic' });
    expect(Date.parse(state.since)).toBeGreaterThan(Date.now() - 60_000);
    expect(state.reason).toMatch(/automatic/);
    const audit = (await operator.get('/v1/admin/audit')).body.items;
    expect(audit.find((e: { event: string }) => e.event === 'withdrawals_paused_automatically')).toMatchObject({ actor: 'api' });
    expect(await metricValue(t.suite.baseUrl, 'countersign_withdrawals_paused', { by: 'automatic' })).toBe(1);
    await t.env.smtp.waitFor((m) => sentTo(m, ALERTS) && /paused/i.test(m.subject ?? ''));

    // Confirmations are still recorded; nothing posts while paused.
    await confirmAllThree(t.channels, a, first);
    await confirmAllThree(t.channels, b, second, currentStep() - 1);
    expect((await statusOf(a, first.id)).status).toBe('pending_confirmation');
    expect((await statusOf(a, first.id)).factors).toEqual({ email: 'approved', push: 'approved', totp: 'approved' });
    expect((await requestWithdrawal(c, '0.1')).body.code).toBe('withdrawals_paused');

    // The operator resumes: what was confirmed meanwhile posts, and the next request is not paused again at once.
    expect((await operator.post('/v1/admin/withdrawals/resume')).body.paused).toBe(false);
    await t.channels.waitForStatus(a, first.id, 'posted');
    await t.channels.waitForStatus(b, second.id, 'posted');
    expect((await requestWithdrawal(c, '0.1')).body.status).toBe('pending_confirmation');
  });
});

/**
 * A hostile customer alone must not stop everyone's withdrawals: the pause counts customers requesting, not
 * requests, so one account making many requests (within its own write limit) counts once.
 */
describe('the automatic pause against one hostile customer', () => {
  const t = useSuite({ AUTO_PAUSE_FACTOR: '5', AUTO_PAUSE_MIN_PER_MINUTE: '3', ANOMALY_MAX_ACCOUNTS: '100000' });

  it('ten requests from one account in a quiet minute pause nothing; two more accounts then do', async () => {
    const [hostile, b, c] = await Promise.all([1, 2, 3].map(() => fundedCustomer(t.env, t.suite.baseUrl, { deposit: '100' })));
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push((await requestWithdrawal(hostile, '0.01')).status);
    expect(answers).toEqual(Array(10).fill(202));
    expect((await t.env.operator(t.suite.baseUrl).get('/v1/admin/withdrawals/pause')).body).toMatchObject({ paused: false });
    expect((await requestWithdrawal(b, '0.01')).status).toBe(202);
    expect((await requestWithdrawal(c, '0.01')).body.code).toBe('withdrawals_paused');
  });

  it('the same when Redis does not answer and Postgres counts', async () => {
    await t.env.operator(t.suite.baseUrl).post('/v1/admin/withdrawals/resume');
    const spy = jest.spyOn(t.suite.api.get(RiskCounters), 'count').mockRejectedValue(new Error('Command timed out'));
    try {
      const hostile = await fundedCustomer(t.env, t.suite.baseUrl, { deposit: '100' });
      const answers = [];
      for (let i = 0; i < 10; i++) answers.push((await requestWithdrawal(hostile, '0.01')).status);
      expect(answers).toEqual(Array(10).fill(202));
      expect((await t.env.operator(t.suite.baseUrl).get('/v1/admin/withdrawals/pause')).body).toMatchObject({ paused: false });
    } finally {
      spy.mockRestore();
    }
  });
});

describe('the automatic pause against a busy trailing hour (injected clock)', () => {
  const t = useSuite({ AUTO_PAUSE_FACTOR: '5', AUTO_PAUSE_MIN_PER_MINUTE: '3', ANOMALY_MAX_ACCOUNTS: '100000' });

  it('needs more than 5 × the trailing mean: 60 in the hour before (1 a minute) lets 5 through and pauses on the 6th', async () => {
    const customers = await Promise.all(Array.from({ length: 6 }, () => fundedCustomer(t.env, t.suite.baseUrl, { deposit: '100' })));
    const clock = t.suite.api.get(RiskClock);
    // An hour of steady business before the last minute: one withdrawal a minute, from 60½ to 1½ minutes ago.
    for (let minute = 60; minute >= 1; minute--) {
      clock.set(Date.now() - (minute + 0.5) * 60_000);
      const r = await requestWithdrawal(customers[minute % 6], '0.01');
      expect(r.status).toBe(202);
    }
    clock.reset();
    const now = [];
    for (const customer of customers) now.push(await requestWithdrawal(customer, '0.01'));
    expect(now.map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 503]);
    expect(now[5].body.code).toBe('withdrawals_paused');
  });
});

describe('the automatic pause when Redis does not answer', () => {
  const t = useSuite({ AUTO_PAUSE_FACTOR: '5', AUTO_PAUSE_MIN_PER_MINUTE: '3', ANOMALY_MAX_ACCOUNTS: '100000' });

  it('counts the last minute in Postgres and pauses on the minimum all the same', async () => {
    const spy = jest.spyOn(t.suite.api.get(RiskCounters), 'count').mockRejectedValue(new Error('Command timed out'));
    try {
      const customers = await Promise.all([1, 2, 3].map(() => fundedCustomer(t.env, t.suite.baseUrl)));
      const answers = [];
      for (const customer of customers) answers.push(await requestWithdrawal(customer, '0.1'));
      expect(answers.map((r) => r.status)).toEqual([202, 202, 503]);
      expect(answers[2].body.code).toBe('withdrawals_paused');
      expect((await t.env.operator(t.suite.baseUrl).get('/v1/admin/withdrawals/pause')).body).toMatchObject({ paused: true, by: 'automatic' });
    } finally {
      spy.mockRestore();
    }
  });
});
