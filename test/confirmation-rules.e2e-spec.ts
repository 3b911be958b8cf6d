import { ConfirmationChannels } from './support/confirmation-channels';
import { enrolCustomer, TestCustomer } from './support/customer-factory';
import { sentTo } from './support/smtp-catcher';
import { TestEnvironment } from './support/test-suite';
import { useSuite } from './support/use-suite';

type Factor = 'email' | 'push' | 'totp';
const ORDERS: Factor[][] = [
  ['email', 'push', 'totp'],
  ['email', 'totp', 'push'],
  ['push', 'email', 'totp'],
  ['push', 'totp', 'email'],
  ['totp', 'email', 'push'],
  ['totp', 'push', 'email'],
];
const PAIRS: Factor[][] = [
  ['email', 'push'],
  ['email', 'totp'],
  ['push', 'totp'],
];

async function approve(channels: ConfirmationChannels, customer: TestCustomer, w: { id: string; matchCode: string }, factor: Factor) {
  const answer =
    factor === 'email'
      ? await channels.approveEmail(customer, w.id, w.matchCode)
      : factor === 'push'
        ? await channels.approvePush(customer, w.id, w.matchCode)
        : await channels.submitTotp(customer, w.id);
  expect(answer.status).toBe(200);
}

async function postings(env: TestEnvironment, withdrawalId: string): Promise<number> {
  const [{ n }] = await env.admin.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE withdrawal_id = $1 AND kind = 'post_pending'`, [
    withdrawalId,
  ]);
  return n;
}

describe('three of three, in any order (10 minute window)', () => {
  const t = useSuite();

  it.each(ORDERS)('posts exactly once when confirmed in the order %s, %s, %s', async (...order: Factor[]) => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '2' });
    const w = (await t.channels.requestWithdrawal(customer, '0.75')).body;
    for (const [i, factor] of order.entries()) {
      await approve(t.channels, customer, w, factor);
      const doc = (await customer.client.get(`/v1/withdrawals/${w.id}`)).body;
      expect(doc.factors[factor]).toBe('approved');
      if (i < 2) expect(doc.status).toBe('pending_confirmation');
    }
    await t.channels.waitForStatus(customer, w.id, 'posted');
    expect(await postings(t.env, w.id)).toBe(1);
    expect((await customer.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '1.25', held: '0' }]);
  });

  it.each(['email', 'push'] as const)('a denial on %s ends the withdrawal denied, releases the hold and freezes withdrawals', async (channel) => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(customer, '0.6')).body;
    await approve(t.channels, customer, w, 'totp');
    const token = channel === 'email' ? await t.channels.emailToken(customer, w.id) : await t.channels.pushToken(customer, w.id);
    expect((await t.channels.decide(token, 'deny')).body).toEqual({ factor: channel, status: 'denied' });
    const doc = await t.channels.waitForStatus(customer, w.id, 'denied');
    expect(doc.factors[channel]).toBe('denied');
    expect(await postings(t.env, w.id)).toBe(0);
    expect((await customer.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '1', held: '0' }]);
    const again = await t.channels.requestWithdrawal(customer, '0.1');
    expect([again.status, again.body.code]).toEqual([423, 'account_frozen']);
    await t.env.smtp.waitFor((m) => sentTo(m, customer.email) && /stopped/.test(m.subject ?? ''));
  });

  it('deny wins: the second device can still stop a withdrawal the first device approved', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1', devices: 2 });
    const w = (await t.channels.requestWithdrawal(customer, '0.2')).body;
    await approve(t.channels, customer, w, 'email');
    expect((await t.channels.decide(await t.channels.pushToken(customer, w.id, 0), 'approve', w.matchCode)).status).toBe(200);
    const second = await t.channels.pushToken(customer, w.id, 1);
    const approveAgain = await t.channels.decide(second, 'approve', w.matchCode);
    expect([approveAgain.status, approveAgain.body.code]).toEqual([410, 'token_invalid']);
    expect((await t.channels.decide(second, 'deny')).body).toEqual({ factor: 'push', status: 'denied' });
    await t.channels.waitForStatus(customer, w.id, 'denied');
    expect(await postings(t.env, w.id)).toBe(0);
    expect((await customer.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '1', held: '0' }]);
  });

  it('five wrong TOTP codes lock the factor and end the withdrawal denied with the hold released', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(customer, '0.6')).body;
    await approve(t.channels, customer, w, 'email');
    await approve(t.channels, customer, w, 'push');
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await customer.client.post(`/v1/withdrawals/${w.id}/totp`, { code: '000000' })).status);
    expect(answers).toEqual([422, 422, 422, 422, 423]);
    const doc = await t.channels.waitForStatus(customer, w.id, 'denied');
    expect(doc.factors.totp).toBe('locked');
    expect(await postings(t.env, w.id)).toBe(0);
    expect((await customer.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '1', held: '0' }]);
  });
});

describe('two of three never posts; expiry releases (4 second window)', () => {
  const t = useSuite({ CONFIRMATION_WINDOW: '4s' });

  it.each(PAIRS)('%s and %s alone never post: the withdrawal expires and its hold is released', async (...pair: Factor[]) => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(customer, '0.5')).body;
    for (const factor of pair) await approve(t.channels, customer, w, factor);
    const doc = await t.channels.waitForStatus(customer, w.id, 'expired', 20000);
    for (const factor of pair) expect(doc.factors[factor]).toBe('approved');
    expect(Object.values(doc.factors)).toContain('expired');
    expect(await postings(t.env, w.id)).toBe(0);
    expect((await customer.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '1', held: '0' }]);
  });

  it('an unconfirmed withdrawal expires at the window, releases its hold, mails the customer; a late approval changes nothing', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(customer, '0.3')).body;
    const emailToken = await t.channels.emailToken(customer, w.id);
    expect((await customer.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '0.7', held: '0.3' }]);
    const doc = await t.channels.waitForStatus(customer, w.id, 'expired', 20000);
    expect(doc.factors).toEqual({ email: 'expired', push: 'expired', totp: 'expired' });
    expect((await customer.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '1', held: '0' }]);
    const mail = await t.env.smtp.waitFor((m) => sentTo(m, customer.email) && /expired/.test(m.subject ?? ''));
    expect(mail.text).toContain('0.3 BTC');
    expect(mail.text).toContain(customer.address);
    const late = await t.channels.decide(emailToken, 'approve', w.matchCode);
    expect([late.status, late.body.code]).toEqual([410, 'token_invalid']);
    expect(await postings(t.env, w.id)).toBe(0);
  });
});
