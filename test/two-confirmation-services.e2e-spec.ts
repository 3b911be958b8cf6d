import { QueueName } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { ConfirmationServiceModule } from '../apps/confirmation-service/src/confirmation-service.module';
import { ConfirmationsConsumer } from '../apps/confirmation-service/src/confirmations.consumer';
import { ExpireWithdrawals } from '../apps/confirmation-service/src/expiry/expire-withdrawals';
import { ConfirmationChannels } from './support/confirmation-channels';
import { authenticatorCode, enrolCustomer, TestCustomer } from './support/customer-factory';
import { ledgerFaults, transfersOf, waitUntil } from './support/ledger-checks';
import { sentTo } from './support/smtp-catcher';
import { InProcessSuite, TestEnvironment } from './support/test-suite';

/**
 * Two replicas of the confirmation service consume the same queue at once (DESIGN.md: scale by running
 * more). Evidence for one withdrawal lands on both; each withdrawal must still be posted exactly once.
 */
describe('two confirmation services on one queue', () => {
  const env = new TestEnvironment();
  let suite: InProcessSuite;
  let channels: ConfirmationChannels;
  const replicas: INestApplicationContext[] = [];
  const processed = [0, 0];
  let posted: Queue;

  beforeAll(async () => {
    await env.start({ PUBLIC_RATE_LIMIT_PER_MINUTE: '100000' });
    suite = await new InProcessSuite(env).start({ confirmer: false });
    for (let i = 0; i < 2; i++) {
      const replica = await NestFactory.createApplicationContext(ConfirmationServiceModule.forRoot(env.config()), { logger: false });
      await replica.init();
      // Observed, not altered: each replica's own BullMQ worker reports the jobs it finished.
      replica.get(ConfirmationsConsumer).worker.on('completed', () => processed[i]++);
      replicas.push(replica);
    }
    channels = new ConfirmationChannels(env, suite.baseUrl);
    posted = suite.api.get<Queue>(getQueueToken(QueueName.WithdrawalsPosted));
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    await suite?.stop();
    await env.stop();
    console.log(`two-confirmation-services: jobs completed per replica ${JSON.stringify(processed)}`);
  });

  const enrolMany = (n: number, deposit: string) => Promise.all(Array.from({ length: n }, () => enrolCustomer(env, suite.baseUrl, { deposit })));

  async function requestWithTokens(c: TestCustomer, amount: string) {
    const w = (await channels.requestWithdrawal(c, amount)).body;
    const [emailToken, pushToken] = await Promise.all([channels.emailToken(c, w.id), channels.pushToken(c, w.id)]);
    return { c, w, emailToken, pushToken };
  }

  it('both replicas are live workers of the confirmations queue', async () => {
    const confirmations = suite.api.get<Queue>(getQueueToken(QueueName.Confirmations));
    await waitUntil(async () => (await confirmations.getWorkersCount()) === 2, 'two workers registered');
  });

  it('posts each of 8 withdrawals exactly once when all their confirmations, each sent twice, arrive at once', async () => {
    const customers = await enrolMany(8, '1');
    const flows = await Promise.all(customers.map((c) => requestWithTokens(c, '0.6')));
    const before = [...processed];

    const answers = await Promise.all(
      flows.flatMap(({ c, w, emailToken, pushToken }) => [
        channels.decide(emailToken, 'approve', w.matchCode),
        channels.decide(emailToken, 'approve', w.matchCode),
        channels.decide(pushToken, 'approve', w.matchCode),
        channels.decide(pushToken, 'approve', w.matchCode),
        authenticatorCode(c.totpSecret, 1).then((code) =>
          Promise.all([c.client.post(`/v1/withdrawals/${w.id}/totp`, { code }), c.client.post(`/v1/withdrawals/${w.id}/totp`, { code })]),
        ),
      ]),
    );
    const flat = answers.flat();
    // Per withdrawal: each token accepted once (the twin is token_invalid); the code accepted once
    // (the twin is code_reused, or withdrawal_not_pending when the first one already posted).
    expect(flat.filter((a) => a.status === 200)).toHaveLength(8 * 3);
    expect(flat.filter((a) => a.body.code === 'token_invalid')).toHaveLength(16);
    expect(flat.filter((a) => a.status !== 200).every((a) => ['token_invalid', 'code_reused', 'withdrawal_not_pending'].includes(a.body.code))).toBe(
      true,
    );

    for (const { c, w } of flows) {
      await channels.waitForStatus(c, w.id, 'posted');
      expect(await transfersOf(env.admin, w.id)).toEqual({ pending: 1, post_pending: 1, void_pending: 0 });
      expect((await c.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '0.4', held: '0' }]);
    }
    const jobs = await posted.getJobs(['waiting', 'active', 'completed', 'delayed']);
    for (const { w } of flows) expect(jobs.filter((j) => j.data.withdrawalId === w.id)).toHaveLength(1);
    for (const { c, w } of flows)
      await env.smtp.waitFor((m) => sentTo(m, c.email) && /confirmed and sent/.test(m.subject ?? '') && (m.text ?? '').includes(w.id));
    await new Promise((r) => setTimeout(r, 300));
    for (const { c } of flows) expect(env.smtp.count((m) => sentTo(m, c.email) && /confirmed and sent/.test(m.subject ?? ''))).toBe(1);

    // Both replicas took part.
    expect(processed[0] - before[0]).toBeGreaterThan(0);
    expect(processed[1] - before[1]).toBeGreaterThan(0);
    expect(await ledgerFaults(env.admin)).toEqual([]);
  });

  it('a final confirmation racing a cancellation on the two replicas ends one way or the other, never both', async () => {
    const customers = await enrolMany(6, '1');
    const flows = await Promise.all(customers.map((c) => requestWithTokens(c, '0.5')));
    for (const { w, emailToken, pushToken } of flows) {
      expect((await channels.decide(emailToken, 'approve', w.matchCode)).status).toBe(200);
      expect((await channels.decide(pushToken, 'approve', w.matchCode)).status).toBe(200);
    }
    const outcomes = await Promise.all(
      flows.map(async ({ c, w }) => {
        const code = await authenticatorCode(c.totpSecret, 1);
        const [totp, cancel] = await Promise.all([
          c.client.post(`/v1/withdrawals/${w.id}/totp`, { code }),
          c.client.post(`/v1/withdrawals/${w.id}/cancel`),
        ]);
        return { c, w, totp, cancel };
      }),
    );
    const tally = { posted: 0, cancelled: 0 };
    for (const { c, w, totp, cancel } of outcomes) {
      const doc = (await c.client.get(`/v1/withdrawals/${w.id}`)).body;
      const transfers = await transfersOf(env.admin, w.id);
      if (doc.status === 'posted') {
        tally.posted++;
        expect([totp.status, cancel.status, cancel.body.code]).toEqual([200, 409, 'withdrawal_not_pending']);
        expect(transfers).toEqual({ pending: 1, post_pending: 1, void_pending: 0 });
        expect((await c.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '0.5', held: '0' }]);
      } else {
        tally.cancelled++;
        expect(doc.status).toBe('cancelled');
        expect([cancel.status, totp.status, totp.body.code]).toEqual([200, 409, 'withdrawal_not_pending']);
        expect(transfers).toEqual({ pending: 1, post_pending: 0, void_pending: 1 });
        expect((await c.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '1', held: '0' }]);
      }
    }
    console.log(`two-confirmation-services: approve-vs-cancel race outcomes ${JSON.stringify(tally)}`);
    expect(tally.posted + tally.cancelled).toBe(6);
    expect(await ledgerFaults(env.admin)).toEqual([]);
  });

  it('both replicas sweeping the same expired withdrawals at once expire each exactly once', async () => {
    const customers = await enrolMany(5, '1');
    const flows = await Promise.all(customers.map((c) => requestWithTokens(c, '0.2')));
    const ids = flows.map((f) => f.w.id);
    await env.admin.query(`UPDATE withdrawals SET expires_at = now() - interval '1 second' WHERE id = ANY($1::uuid[])`, [ids]);
    const counts = await Promise.all(replicas.flatMap((r) => [r.get(ExpireWithdrawals).sweep(), r.get(ExpireWithdrawals).sweep()]));
    // The background sweeper may have taken some of them first; together they expired each one once.
    for (const { c, w } of flows) {
      await channels.waitForStatus(c, w.id, 'expired');
      expect(await transfersOf(env.admin, w.id)).toEqual({ pending: 1, post_pending: 0, void_pending: 1 });
      expect((await c.client.get('/v1/me/balances')).body).toEqual([{ asset: 'BTC', available: '1', held: '0' }]);
    }
    expect(counts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5);
    const [{ n }] = await env.admin.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE event = 'withdrawal_expired' AND withdrawal_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(n).toBe(5);
    for (const { c, w } of flows)
      await env.smtp.waitFor((m) => sentTo(m, c.email) && /expired unconfirmed/.test(m.subject ?? '') && (m.text ?? '').includes(w.id));
    await new Promise((r) => setTimeout(r, 300));
    for (const { c } of flows) expect(env.smtp.count((m) => sentTo(m, c.email) && /expired unconfirmed/.test(m.subject ?? ''))).toBe(1);
    expect(await ledgerFaults(env.admin)).toEqual([]);
  });
});
