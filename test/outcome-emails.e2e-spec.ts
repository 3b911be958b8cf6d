import { QueueName } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { balanceOf, problemCode, queueIdle, statusOf, transfersOf } from './support/attack-kit';
import { enrolCustomer, TestCustomer } from './support/customer-factory';
import { sentTo } from './support/smtp-catcher';
import { useSuite } from './support/use-suite';

const answer = (r: { status: number; headers: Headers; body: any }) => `${r.status} ${problemCode(r) ?? ''}`.trim();

/** Nothing is silent: the customer hears by email how each withdrawal ended, with its amount and destination. */
function expectDescribes(text: string | undefined, c: TestCustomer, amount: string, withdrawalId: string) {
  expect(text).toContain(`${amount} BTC`);
  expect(text).toContain(c.address);
  expect(text).toContain(withdrawalId);
}

describe('outcome emails for posted and denied withdrawals', () => {
  const t = useSuite();

  it('posted: "confirmed and sent" with amount and destination, once', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(c, '0.35')).body;
    await t.channels.approveEmail(c, w.id, w.matchCode);
    await t.channels.approvePush(c, w.id, w.matchCode);
    expect((await t.channels.submitTotp(c, w.id, 1)).status).toBe(200);
    const mail = await t.env.smtp.waitFor((m) => sentTo(m, c.email) && /confirmed and sent/.test(m.subject ?? ''));
    expectDescribes(mail.text, c, '0.35', w.id);
    await queueIdle(t.suite.api.get<Queue>(getQueueToken(QueueName.Notifications)));
    expect(t.env.smtp.count((m) => sentTo(m, c.email) && /confirmed and sent/.test(m.subject ?? ''))).toBe(1);
  });

  it('posted: the outcome email is sent with no database transaction open while the SMTP peer answers', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(c, '0.15')).body;
    const held = t.env.smtp.holdBack((m) => sentTo(m, c.email) && /confirmed and sent/.test(m.subject ?? ''));
    try {
      await t.channels.approveEmail(c, w.id, w.matchCode);
      await t.channels.approvePush(c, w.id, w.matchCode);
      expect((await t.channels.submitTotp(c, w.id, 1)).status).toBe(200);
      await held.arrived; // the worker has sent the message and waits for the peer's answer
      const notifierRole = new URL(t.env.config().databaseUrls.notifier).username;
      // Each of the worker's transactions idle between statements, by backend and start: one held open across
      // the SMTP exchange is there in both samples; a relay pass caught between its first two statements is not.
      const idle = async () => {
        const rows = await t.env.admin.query<{ pid: number; since: string; query: string }[]>(
          `SELECT pid, xact_start::text AS since, left(query, 60) AS query FROM pg_stat_activity
            WHERE usename = $1 AND state LIKE 'idle in transaction%'`,
          [notifierRole],
        );
        return new Map(rows.map((r) => [`${r.pid}@${r.since}`, r.query]));
      };
      const first = await idle();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const second = await idle();
      expect([...first].filter(([transaction]) => second.has(transaction))).toEqual([]);
    } finally {
      held.release();
    }
    await t.env.smtp.waitFor((m) => sentTo(m, c.email) && /confirmed and sent/.test(m.subject ?? ''));
    await queueIdle(t.suite.api.get<Queue>(getQueueToken(QueueName.Notifications)));
    expect(t.env.smtp.count((m) => sentTo(m, c.email) && /confirmed and sent/.test(m.subject ?? ''))).toBe(1);
  });

  it('denied (TOTP locked): "stopped" with amount, destination and that the funds are available again', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(c, '0.45')).body;
    for (let i = 0; i < 5; i++) await c.client.post(`/v1/withdrawals/${w.id}/totp`, { code: i % 2 ? '000000' : '999999' });
    expect((await statusOf(c, w.id)).status).toBe('denied');
    const mail = await t.env.smtp.waitFor((m) => sentTo(m, c.email) && /stopped/.test(m.subject ?? ''));
    expectDescribes(mail.text, c, '0.45', w.id);
    expect(mail.text).toMatch(/available in your account again/);
  });
});

describe('expiry (CONFIRMATION_WINDOW=3s)', () => {
  const t = useSuite({ CONFIRMATION_WINDOW: '3s' });

  it('expires unconfirmed: hold released, factors expired, one "expired" email; late approvals and codes are refused', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(c, '0.55')).body;
    const emailToken = await t.channels.emailToken(c, w.id);
    const pushToken = await t.channels.pushToken(c, w.id);
    await t.channels.decide(emailToken, 'approve', w.matchCode); // one of three, in time

    const expired = await t.channels.waitForStatus(c, w.id, 'expired', 30_000);
    expect(expired.factors).toEqual({ email: 'approved', push: 'expired', totp: 'expired' });
    expect(await balanceOf(c)).toEqual({ available: '1', held: '0' });
    expect(await transfersOf(t.env, w.id)).toEqual({ pending: 1, void_pending: 1 });

    const mail = await t.env.smtp.waitFor((m) => sentTo(m, c.email) && /expired unconfirmed/.test(m.subject ?? ''));
    expectDescribes(mail.text, c, '0.55', w.id);

    expect(answer(await t.channels.decide(pushToken, 'approve', w.matchCode))).toBe('410 token_invalid');
    expect(answer(await t.channels.decide(pushToken, 'deny'))).toBe('410 token_invalid');
    expect((await t.channels.openPage(pushToken)).status).toBe(410);
    expect(answer(await t.channels.submitTotp(c, w.id, 1))).toBe('409 withdrawal_not_pending');
    expect((await statusOf(c, w.id)).status).toBe('expired');
    // Not frozen: a late deny is refused rather than freezing the account.
    expect((await t.channels.requestWithdrawal(c, '0.1')).status).toBe(202);

    await queueIdle(t.suite.api.get<Queue>(getQueueToken(QueueName.Notifications)));
    expect(t.env.smtp.count((m) => sentTo(m, c.email) && /expired unconfirmed/.test(m.subject ?? '') && (m.text ?? '').includes(w.id))).toBe(1);
  });
});
