import { QueueName, redisConnection } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue, QueueEvents } from 'bullmq';
import { ApiClient } from './support/api-client';
import { enrolCustomer } from './support/customer-factory';
import { sentTo } from './support/smtp-catcher';
import { useSuite } from './support/use-suite';

describe('operator controls', () => {
  const t = useSuite();
  let operator: ApiClient;

  beforeAll(() => {
    operator = t.env.operator(t.suite.baseUrl, 'op-1');
  });

  it('pauses every new withdrawal until resumed, and audits both', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    expect((await operator.get('/v1/admin/withdrawals/pause')).body.paused).toBe(false);
    const paused = await operator.post('/v1/admin/withdrawals/pause', { reason: 'incident 42' });
    expect(paused.body).toMatchObject({ paused: true, reason: 'incident 42', pausedBy: 'op-1' });
    const refused = await t.channels.requestWithdrawal(customer, '0.1');
    expect([refused.status, refused.body.code]).toEqual([503, 'withdrawals_paused']);
    expect((await operator.post('/v1/admin/withdrawals/resume')).body.paused).toBe(false);
    expect((await t.channels.requestWithdrawal(customer, '0.1')).status).toBe(202);
    const audit = (await operator.get('/v1/admin/audit')).body.items.map((e: { event: string }) => e.event);
    expect(audit).toEqual(expect.arrayContaining(['withdrawals_paused', 'withdrawals_resumed']));
  });

  it('keeps operator endpoints from customers (403) and from strangers (401)', async () => {
    const customer = new ApiClient(t.suite.baseUrl, await t.env.token('someone'));
    const forbidden = await customer.post('/v1/admin/withdrawals/pause', { reason: 'x' });
    expect([forbidden.status, forbidden.body.code]).toEqual([403, 'forbidden']);
    const anonymous = await new ApiClient(t.suite.baseUrl).post('/v1/admin/deposits', { userId: 'a', asset: 'BTC', amount: '1', reference: 'r' });
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'unauthorized']);
  });

  it('credits a deposit once per reference and refuses a reused reference for another amount', async () => {
    const body = { userId: 'depositor', asset: 'ETH', amount: '2.5', reference: 'chain-tx-77' };
    const first = await operator.post('/v1/admin/deposits', body);
    const again = await operator.post('/v1/admin/deposits', body);
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.transferId).toBe(first.body.transferId);
    const conflict = await operator.post('/v1/admin/deposits', { ...body, amount: '3' });
    expect([conflict.status, conflict.body.code]).toEqual([422, 'idempotency_conflict']);
    const depositor = new ApiClient(t.suite.baseUrl, await t.env.token('depositor'));
    expect((await depositor.get('/v1/me/balances')).body).toEqual([{ asset: 'ETH', available: '2.5', held: '0' }]);
  });

  it('credits nothing for a deposit job forged into Redis: unsigned, or with whatever token, it is refused', async () => {
    const confirmations = t.suite.api.get<Queue>(getQueueToken(QueueName.Confirmations));
    const events = new QueueEvents(QueueName.Confirmations, { connection: redisConnection(t.env.env.REDIS_URL), prefix: t.env.id });
    try {
      await events.waitUntilReady();
      const forged = { userId: 'forger', asset: 'BTC', amount: '1000', reference: 'forged-1' };
      for (const operatorToken of ['', 'not-a-jwt', await t.env.token('forger')]) {
        const job = await confirmations.add('credit-deposit', { operatorToken, operatorId: 'forger', ...forged });
        await expect(job.waitUntilFinished(events, 10000)).rejects.toThrow(/job refused: unsigned/);
      }
    } finally {
      await events.close();
    }
    const forger = new ApiClient(t.suite.baseUrl, await t.env.token('forger'));
    expect((await forger.get('/v1/me/balances')).body).toEqual([]);
  });

  it('answers bad input with problem documents and stable codes', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const noKey = await customer.client.post('/v1/withdrawals', { addressId: customer.addressId, amount: '0.1' });
    expect([noKey.status, noKey.headers.get('content-type'), noKey.body.code]).toEqual([
      400,
      'application/problem+json; charset=utf-8',
      'validation_failed',
    ]);
    const float = await customer.client.post('/v1/withdrawals', { addressId: customer.addressId, amount: 0.1 }, { 'idempotency-key': 'k-float' });
    expect([float.status, float.body.code]).toEqual([400, 'validation_failed']);
    const tooPrecise = await customer.client.post(
      '/v1/withdrawals',
      { addressId: customer.addressId, amount: '0.0000000000000000001' },
      { 'idempotency-key': 'k-precise' },
    );
    expect([tooPrecise.status, tooPrecise.body.code]).toEqual([400, 'validation_failed']);
    const stranger = await customer.client.post(
      '/v1/withdrawals',
      { addressId: '00000000-0000-4000-8000-000000000000', amount: '0.1' },
      { 'idempotency-key': 'k-addr' },
    );
    expect([stranger.status, stranger.body.code]).toEqual([422, 'address_not_whitelisted']);
    const extra = await customer.client.post(
      '/v1/withdrawals',
      { addressId: customer.addressId, amount: '0.1', fee: '0' },
      { 'idempotency-key': 'k-extra' },
    );
    expect([extra.status, extra.body.code]).toEqual([400, 'validation_failed']);
    const notUuid = await customer.client.get('/v1/withdrawals/not-a-uuid');
    expect([notUuid.status, notUuid.body.code]).toEqual([404, 'not_found']);
  });

  it('rejects an open withdrawal (hold released, customer mailed), releases only held ones, lists for review without the match code', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(customer, '0.4')).body;
    const notHeld = await operator.post(`/v1/admin/withdrawals/${w.id}/release`);
    expect([notHeld.status, notHeld.body.code]).toEqual([409, 'withdrawal_not_pending']);
    const rejected = await operator.post(`/v1/admin/withdrawals/${w.id}/reject`, { reason: 'sanctions screening' });
    expect(rejected.body).toMatchObject({ id: w.id, status: 'rejected', reason: 'sanctions screening', userId: customer.id });
    expect(rejected.body.matchCode).toBeUndefined();
    expect((await customer.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '1', held: '0' }]);
    await t.env.smtp.waitFor((m) => sentTo(m, customer.email) && /rejected/.test(m.subject ?? ''));
    const listed = (await operator.get('/v1/admin/withdrawals?status=rejected')).body.items;
    expect(listed.map((i: { id: string }) => i.id)).toContain(w.id);
    expect(listed.every((i: object) => !('matchCode' in i))).toBe(true);
  });

  it('revokes every TOTP enrolment at once: open withdrawals are voided and customers must re-enrol', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(customer, '0.4')).body;
    expect((await operator.post('/v1/admin/totp/revoke-all', { reason: 'authenticator seed leak' })).status).toBe(200);
    expect((await customer.client.get(`/v1/withdrawals/${w.id}`)).body).toMatchObject({ status: 'denied', reason: 'totp_revoked' });
    expect((await customer.client.get('/v1/me/security')).body.totp).toEqual({ active: false });
    expect((await customer.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '1', held: '0' }]);
    const again = await t.channels.requestWithdrawal(customer, '0.1');
    expect([again.status, again.body.code]).toEqual([409, 'factor_not_enrolled']);
  });
});
