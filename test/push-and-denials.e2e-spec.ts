import { JOB_OPTIONS, jobId, QueueName } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import {
  auditOf,
  balanceOf,
  enrolOnSteps,
  metricValue,
  operatorClient,
  problemCode,
  queueIdle,
  settledJobs,
  statusOf,
  transfersOf,
  waitUntil,
} from './support/attack-kit';
import { SendChallengeEmail } from '../apps/notification-worker/src/challenges/send-challenge-email';
import { SendChallengePush } from '../apps/notification-worker/src/challenges/send-challenge-push';
import { SendWithdrawalChallenges } from '../apps/notification-worker/src/challenges/send-withdrawal-challenges';
import { DeliveryInProgress } from '../apps/notification-worker/src/deliveries/leased-delivery';
import { ConfirmationChannels } from './support/confirmation-channels';
import { enrolCustomer, TestCustomer } from './support/customer-factory';
import { GonePushEndpoint } from './support/gone-push-endpoint';
import { TestJobs } from './support/job-signing';
import { sentTo } from './support/smtp-catcher';
import { InProcessSuite, TestEnvironment } from './support/test-suite';

const answer = (r: { status: number; headers: Headers; body: any }) => `${r.status} ${problemCode(r) ?? ''}`.trim();

describe('push devices, duplicate deliveries and "this wasn\'t me"', () => {
  const env = new TestEnvironment();
  const gone = new GonePushEndpoint(410);
  let suite: InProcessSuite;
  let channels: ConfirmationChannels;
  let notifications: Queue;
  let emails: Queue;
  let pushes: Queue;

  beforeAll(async () => {
    await gone.start();
    // The gone endpoint is a push service of its own: allowed beside the test push service.
    await env.start({ PUSH_SERVICE_HOSTS: gone.origin });
    suite = await new InProcessSuite(env).start();
    channels = new ConfirmationChannels(env, suite.baseUrl);
    notifications = suite.api.get<Queue>(getQueueToken(QueueName.Notifications));
    emails = suite.api.get<Queue>(getQueueToken(QueueName.ChallengeEmails));
    pushes = suite.api.get<Queue>(getQueueToken(QueueName.Pushes));
  });
  afterAll(async () => {
    await suite?.stop();
    await Promise.all([env.stop(), gone.stop()]);
  });

  async function withdrawal(c: TestCustomer, amount = '0.1') {
    const r = await channels.requestWithdrawal(c, amount);
    expect([r.status, r.body.detail]).toEqual([202, undefined]);
    return r.body as { id: string; matchCode: string; expiresAt: string };
  }

  /** A notification job as its producer sends it (the delivery tests redeliver genuine jobs). */
  const jobs = new TestJobs(env);
  const signed = <D extends object>(name: string, jobId: string, data: D, producer: 'api' | 'notifier', queue = QueueName.Notifications) =>
    jobs.sign(queue, name, jobId, data, producer);

  const pushesFor = (endpoint: string, withdrawalId: string) =>
    env.push.messages.filter((m) => m.endpoint === endpoint && m.payload.withdrawalId === withdrawalId);

  async function subscriptionIds(c: TestCustomer): Promise<string[]> {
    const rows: { id: string }[] = await env.admin.query('SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at', [c.id]);
    return rows.map((r) => r.id);
  }

  it('two devices both get the push; approving on one counts once and the other device’s token is then token_invalid', async () => {
    const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1', devices: 2 });
    const w = await withdrawal(c);
    const [first, second] = await Promise.all([channels.push(c, w.id, 0), channels.push(c, w.id, 1)]);
    expect(first.payload.token).not.toBe(second.payload.token);
    expect((await channels.decide(String(second.payload.token), 'approve', w.matchCode)).body).toEqual({ factor: 'push', status: 'approved' });
    expect(answer(await channels.decide(String(first.payload.token), 'approve', w.matchCode))).toBe('410 token_invalid');
    expect((await channels.openPage(String(first.payload.token))).status).toBe(410);
    const approvals = (await auditOf(env, suite.baseUrl, { withdrawalId: w.id })).filter((e) => e.event === 'factor_approved');
    expect(approvals.map((e) => e.detail.factor)).toEqual(['push']);
    const doc = await statusOf(c, w.id);
    expect([doc.status, doc.factors.push]).toEqual(['pending_confirmation', 'approved']);
  });

  it('each device’s push carries a link to its own device’s challenge, for as many devices as a customer has', async () => {
    // Five devices: more than the fan-out's own statement takes (4), so both ways of taking a push are seen.
    const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1', devices: 5 });
    const devices = await subscriptionIds(c);
    const w = await withdrawal(c);
    const received = await Promise.all(devices.map((_, i) => channels.push(c, w.id, i)));
    const challenged: { subscriptionId: string }[][] = await Promise.all(
      received.map((p) =>
        env.admin.query(
          `SELECT c.subscription_id AS "subscriptionId" FROM challenge_tokens t JOIN challenges c ON c.id = t.challenge_id
            WHERE t.token_hash = sha256(convert_to($1, 'UTF8')) AND c.withdrawal_id = $2`,
          [String(p.payload.token), w.id],
        ),
      ),
    );
    expect(challenged.map((rows) => rows.map((r) => r.subscriptionId))).toEqual(devices.map((d) => [d]));
    // Approving on the last device approves its own challenge: the others' tokens are then spent.
    expect((await channels.decide(String(received[4].payload.token), 'approve', w.matchCode)).body).toEqual({ factor: 'push', status: 'approved' });
    const [{ consumed }] = await env.admin.query(
      `SELECT array_agg(subscription_id::text) AS consumed FROM challenges WHERE withdrawal_id = $1 AND factor = 'push' AND consumed_at IS NOT NULL`,
      [w.id],
    );
    expect(consumed).toEqual([devices[4]]);
  });

  it('a fan-out that took its pushes and then could not queue the email gives them back: its retry sends them at once', async () => {
    const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1', devices: 2 });
    await queueIdle(pushes);
    // Redis refuses the email's job once, after the fan-out's statement took both pushes.
    const notifierEmails = suite.notifier!.get<Queue>(getQueueToken(QueueName.ChallengeEmails), { strict: false });
    const refused = jest.spyOn(notifierEmails, 'addBulk').mockRejectedValueOnce(new Error('Connection is closed.'));
    try {
      const w = await withdrawal(c);
      await Promise.all([channels.push(c, w.id, 0), channels.push(c, w.id, 1), channels.challengeEmail(c, w.id)]);
      const [fanOut] = await settledJobs(pushes, [`challenges.${w.id}`]);
      expect(fanOut.state).toBe('completed');
      expect(refused).toHaveBeenCalled();
      // One failed attempt, the refusal; none spent waiting out a lease its own first attempt held.
      const job = (await pushes.getJob(`challenges.${w.id}`))!;
      expect((job.stacktrace ?? []).map((trace) => trace.split('\n')[0])).toEqual(['Error: Connection is closed.']);
    } finally {
      refused.mockRestore();
    }
  });

  it('deny wins: the other device’s unused token can still stop a withdrawal whose push factor was approved', async () => {
    const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1', devices: 2 });
    const w = await withdrawal(c);
    const [first, second] = await Promise.all([channels.push(c, w.id, 0), channels.push(c, w.id, 1)]);
    expect((await channels.decide(String(first.payload.token), 'approve', w.matchCode)).status).toBe(200);
    expect((await channels.decide(String(second.payload.token), 'deny')).body).toEqual({ factor: 'push', status: 'denied' });
    expect((await statusOf(c, w.id)).status).toBe('denied');
    expect(await balanceOf(c)).toEqual({ available: '1', held: '0' });
    expect(answer(await channels.decide(String(second.payload.token), 'deny'))).toBe('410 token_invalid');
    const operator = await operatorClient(env, suite.baseUrl);
    expect((await operator.post(`/v1/admin/users/${encodeURIComponent(c.id)}/unfreeze`)).status).toBe(204);
  });

  it('a subscription the push service answers 410 for is retired: pushDevices drops and it gets no more pushes', async () => {
    const viaTestService = env.push.newSubscription();
    const viaGone = gone.subscription();
    const healthy = env.push.newSubscription();
    const c = await enrolOnSteps(env, suite.baseUrl, { deposit: '1', subscriptions: [viaTestService, viaGone, healthy] });
    // The first push to reach the gone device — a security notice of the enrolment itself — retires it.
    await waitUntil(async () => (await c.client.get('/v1/me/security')).body.pushDevices === 2, 15_000, 'the gone device to be retired');
    expect(gone.hits).toBe(1);
    env.push.respondWith(viaTestService.endpoint, 410);

    const w1 = await withdrawal(c);
    await env.push.waitFor((m) => m.endpoint === healthy.endpoint && m.payload.withdrawalId === w1.id);
    await waitUntil(async () => (await c.client.get('/v1/me/security')).body.pushDevices === 1, 15_000, 'pushDevices to drop to 1');
    expect(gone.hits).toBe(1);
    const retired = (await auditOf(env, suite.baseUrl, { userId: c.id })).filter((e) => e.event === 'push_subscription_retired');
    expect(retired).toHaveLength(2);

    const w2 = await withdrawal(c);
    await env.push.waitFor((m) => m.endpoint === healthy.endpoint && m.payload.withdrawalId === w2.id);
    await env.smtp.waitFor((m) => sentTo(m, c.email) && (m.text ?? '').includes(w2.id));
    await queueIdle(notifications);
    await queueIdle(pushes);
    expect(gone.hits).toBe(1);
    const [{ n }] = await env.admin.query(
      `SELECT count(*)::int AS n FROM challenges c JOIN push_subscriptions s ON s.id = c.subscription_id
        WHERE c.withdrawal_id = $1 AND s.retired_at IS NOT NULL`,
      [w2.id],
    );
    expect(n).toBe(0);
    // The customer confirms on the device that still works.
    expect((await channels.decide(await channels.pushToken(c, w2.id, 2), 'approve', w2.matchCode)).status).toBe(200);
  });

  it('a challenge job delivered again after it ran sends no second push or email', async () => {
    const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    const [subscriptionId] = await subscriptionIds(c);
    const w = await withdrawal(c);
    const push = await channels.push(c, w.id);
    await channels.challengeEmail(c, w.id);
    // The push is the fan-out's own.
    await settledJobs(pushes, [`challenges.${w.id}`]);
    await settledJobs(emails, [`email.${w.id}`]);

    const options = JOB_OPTIONS[QueueName.Notifications];
    await pushes.add(
      'send-challenge-push',
      signed('send-challenge-push', `redelivered-push-${w.id}`, { withdrawalId: w.id, subscriptionId }, 'notifier', QueueName.Pushes),
      { ...options, jobId: `redelivered-push-${w.id}` },
    );
    await emails.add(
      'send-challenge-email',
      signed('send-challenge-email', `redelivered-email-${w.id}`, { withdrawalId: w.id }, 'notifier', QueueName.ChallengeEmails),
      { ...options, jobId: `redelivered-email-${w.id}` },
    );
    await pushes.add(
      'send-withdrawal-challenges',
      signed('send-withdrawal-challenges', `redelivered-fanout-${w.id}`, { withdrawalId: w.id }, 'api', QueueName.Pushes),
      { ...options, jobId: `redelivered-fanout-${w.id}` },
    );
    // As queued before fan-outs moved to the pushes queue.
    await notifications.add(
      'send-withdrawal-challenges',
      signed('send-withdrawal-challenges', `redelivered-old-fanout-${w.id}`, { withdrawalId: w.id }, 'api'),
      { ...options, jobId: `redelivered-old-fanout-${w.id}` },
    );
    const settled = [
      ...(await settledJobs(pushes, [`redelivered-push-${w.id}`, `redelivered-fanout-${w.id}`])),
      ...(await settledJobs(emails, [`redelivered-email-${w.id}`])),
      ...(await settledJobs(notifications, [`redelivered-old-fanout-${w.id}`])),
    ];
    expect(settled.map((s) => s.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
    await Promise.all([queueIdle(notifications), queueIdle(emails), queueIdle(pushes)]);
    expect(pushesFor(c.subscriptions[0].endpoint, w.id)).toHaveLength(1);
    expect(env.smtp.count((m) => sentTo(m, c.email) && (m.text ?? '').includes(w.id))).toBe(1);
    // The one push that went out still works.
    expect((await channels.decide(String(push.payload.token), 'approve', w.matchCode)).status).toBe(200);
  });

  it('a challenge job delivered several times at once still sends at most one push per device', async () => {
    const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    const [subscriptionId] = await subscriptionIds(c);
    const w = await withdrawal(c);
    const options = JOB_OPTIONS[QueueName.Notifications];
    const ids = Array.from({ length: 5 }, (_, i) => `concurrent-${i}-${w.id}`);
    await pushes.addBulk(
      ids.map((jobId) => ({
        name: 'send-challenge-push',
        data: signed('send-challenge-push', jobId, { withdrawalId: w.id, subscriptionId }, 'notifier', QueueName.Pushes),
        opts: { ...options, jobId },
      })),
    );
    await settledJobs(pushes, [...ids, `challenges.${w.id}`]);
    await queueIdle(pushes);
    const received = pushesFor(c.subscriptions[0].endpoint, w.id);
    expect(received).toHaveLength(1);
    expect((await channels.decide(String(received[0].payload.token), 'approve', w.matchCode)).status).toBe(200);
  });

  describe('"this wasn\'t me"', () => {
    const reportedNotMe = () => metricValue(suite.baseUrl, 'countersign_security_events', { event: 'withdrawal_reported_not_me' });

    async function expectReportedAndFrozen(c: TestCustomer, w: { id: string }, factor: string, before: number) {
      const doc = await statusOf(c, w.id);
      expect([doc.status, doc.factors[factor]]).toEqual(['denied', 'denied']);
      expect(await balanceOf(c)).toEqual({ available: '1', held: '0' });
      expect(await transfersOf(env, w.id)).toEqual({ pending: 1, void_pending: 1 });

      const refused = await channels.requestWithdrawal(c, '0.1');
      expect(answer(refused)).toBe('423 account_frozen');

      const audit = await auditOf(env, suite.baseUrl, { userId: c.id });
      const reported = audit.filter((e) => e.event === 'withdrawal_reported_not_me');
      expect(reported).toHaveLength(1);
      expect(reported[0]).toMatchObject({ withdrawalId: w.id, detail: { factor } });
      expect(await reportedNotMe()).toBe(before + 1);

      const alert = await env.smtp.waitFor((m) => sentTo(m, c.email) && /Security alert: withdrawals frozen/.test(m.subject ?? ''));
      expect(alert.text).toContain(w.id);
      const outcome = await env.smtp.waitFor((m) => sentTo(m, c.email) && /stopped/.test(m.subject ?? ''));
      expect(outcome.text).toContain('0.1 BTC');
      expect(outcome.text).toContain(c.address);

      const operator = await operatorClient(env, suite.baseUrl);
      expect((await operator.post(`/v1/admin/users/${encodeURIComponent(c.id)}/unfreeze`)).status).toBe(204);
      expect((await channels.requestWithdrawal(c, '0.1')).status).toBe(202);
      expect((await auditOf(env, suite.baseUrl, { userId: c.id })).map((e) => e.event)).toContain('account_unfrozen');
    }

    it('on the email link: denied, hold released, account frozen until an operator unfreezes, audited, counted, mailed', async () => {
      const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
      const w = await withdrawal(c);
      const before = await reportedNotMe();
      expect((await channels.decide(await channels.emailToken(c, w.id), 'deny')).body).toEqual({ factor: 'email', status: 'denied' });
      await expectReportedAndFrozen(c, w, 'email', before);
    });

    it('on the push: the same', async () => {
      const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
      const w = await withdrawal(c);
      const before = await reportedNotMe();
      expect((await channels.decide(await channels.pushToken(c, w.id), 'deny')).body).toEqual({ factor: 'push', status: 'denied' });
      await expectReportedAndFrozen(c, w, 'push', before);
    });

    it('freezes the withdrawals already in flight too: another pending withdrawal cannot be completed afterwards', async () => {
      const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
      const reported = await withdrawal(c, '0.1');
      const other = await withdrawal(c, '0.2');
      await channels.approveEmail(c, other.id, other.matchCode);
      await channels.approvePush(c, other.id, other.matchCode);
      expect((await channels.decide(await channels.pushToken(c, reported.id), 'deny')).status).toBe(200);
      await channels.submitTotp(c, other.id, 1);
      const doc = await statusOf(c, other.id);
      expect(doc.status).not.toBe('posted');
      expect((await transfersOf(env, other.id)).post_pending).toBeUndefined();
    });

    it('an operator freeze also stops a withdrawal that is already two-thirds confirmed', async () => {
      const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
      const w = await withdrawal(c, '0.2');
      await channels.approveEmail(c, w.id, w.matchCode);
      await channels.approvePush(c, w.id, w.matchCode);
      const operator = await operatorClient(env, suite.baseUrl);
      expect((await operator.post(`/v1/admin/users/${encodeURIComponent(c.id)}/freeze`, { reason: 'suspected account takeover' })).status).toBe(204);
      await channels.submitTotp(c, w.id, 1);
      expect((await statusOf(c, w.id)).status).not.toBe('posted');
      expect((await transfersOf(env, w.id)).post_pending).toBeUndefined();
    });
  });

  it('eight deliveries of one challenge email and of one push at the same moment (a duplicated job, a replay) send one of each, and both links work', async () => {
    const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    await Promise.all([emails.pause(), pushes.pause()]); // the genuine jobs wait until the copies below have run
    let w: { id: string; matchCode: string };
    let device: string;
    const outcomes: string[] = [];
    try {
      w = await withdrawal(c);
      [device] = await subscriptionIds(c);
      // The fan-out (which would send this push itself) waits on the paused queue; the copies below make the challenge.
      await waitUntil(async () => (await pushes.getJob(jobId('challenges', w.id))) !== undefined, 15_000, 'the fan-out');
      const outcome = (p: Promise<string>) => p.then(String, (e: Error) => (e instanceof DeliveryInProgress ? 'in_progress' : e.message));
      const email = suite.notifier!.get(SendChallengeEmail);
      const push = suite.notifier!.get(SendChallengePush);
      outcomes.push(
        ...(await Promise.all([
          ...Array.from({ length: 8 }, () => outcome(email.execute(w.id))),
          ...Array.from({ length: 8 }, () => outcome(push.execute(w.id, device))),
        ])),
      );
    } finally {
      await Promise.all([emails.resume(), pushes.resume()]);
    }
    await Promise.all([queueIdle(emails), queueIdle(pushes)]);
    // One copy of each sent; every other copy was told another one is delivering, or that it went out already.
    expect(outcomes.filter((o) => o === 'sent')).toHaveLength(2);
    expect(outcomes.filter((o) => o !== 'sent' && o !== 'in_progress' && o !== 'already_sent')).toEqual([]);
    expect(env.smtp.count((m) => sentTo(m, c.email) && /Confirm your withdrawal/.test(m.subject ?? '') && (m.text ?? '').includes(w.id))).toBe(1);
    expect(pushesFor(c.subscriptions[0].endpoint, w.id)).toHaveLength(1);
    expect((await channels.approveEmail(c, w.id, w.matchCode)).body).toEqual({ factor: 'email', status: 'approved' });
    expect((await channels.approvePush(c, w.id, w.matchCode)).body).toEqual({ factor: 'push', status: 'approved' });
  });

  it('a challenge for a withdrawal no longer open is not made, and nothing is sent', async () => {
    const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    await Promise.all([emails.pause(), pushes.pause()]);
    let w: { id: string };
    try {
      w = await withdrawal(c);
      expect((await c.client.post(`/v1/withdrawals/${w.id}/cancel`)).status).toBe(200);
      const [device] = await subscriptionIds(c);
      expect(await suite.notifier!.get(SendChallengeEmail).execute(w.id)).toBe('withdrawal_closed');
      expect(await suite.notifier!.get(SendChallengePush).execute(w.id, device)).toBe('withdrawal_closed');
    } finally {
      await Promise.all([emails.resume(), pushes.resume()]);
    }
    await Promise.all([queueIdle(emails), queueIdle(pushes)]);
    const [{ n }] = await env.admin.query(`SELECT count(*)::int AS n FROM challenges WHERE withdrawal_id = $1 AND factor = 'email'`, [w.id]);
    expect(n).toBe(0);
    expect(env.smtp.count((m) => sentTo(m, c.email) && (m.text ?? '').includes(w.id) && /Confirm your withdrawal/.test(m.subject ?? ''))).toBe(0);
    expect(pushesFor(c.subscriptions[0].endpoint, w.id)).toHaveLength(0);
  });
});

describe('push budget per customer per hour (PUSHES_PER_HOUR=2)', () => {
  const env = new TestEnvironment();
  let suite: InProcessSuite;
  let channels: ConfirmationChannels;
  let pushes: Queue;

  beforeAll(async () => {
    await env.start({ PUSHES_PER_HOUR: '2' });
    suite = await new InProcessSuite(env).start();
    channels = new ConfirmationChannels(env, suite.baseUrl);
    pushes = suite.api.get<Queue>(getQueueToken(QueueName.Pushes));
  });
  afterAll(async () => {
    await suite?.stop();
    await env.stop();
  });

  it('the third withdrawal in an hour sends no push, and that is audited as push_rate_limited', async () => {
    const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const w = (await channels.requestWithdrawal(c, '0.1')).body;
      ids.push(w.id);
      await channels.challengeEmail(c, w.id);
      if (i < 2) await channels.push(c, w.id);
    }
    await waitUntil(async () => (await auditOf(env, suite.baseUrl, { withdrawalId: ids[2] })).some((e) => e.event === 'push_rate_limited'));
    await queueIdle(pushes);
    expect(env.push.messages.filter((m) => m.payload.withdrawalId === ids[2])).toHaveLength(0);
    expect(await metricValue(suite.baseUrl, 'countersign_security_events', { event: 'push_rate_limited' })).toBe(1);
  });

  it('a skip is audited once per withdrawal, however often its fan-out runs again (retries, a busy push service, the reconciler)', async () => {
    // Three devices, a budget of two: the first fan-out skips one.
    const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1', devices: 3 });
    const w = (await channels.requestWithdrawal(c, '0.1')).body;
    await settledJobs(pushes, [`challenges.${w.id}`]);
    const fanOut = suite.notifier!.get(SendWithdrawalChallenges);
    for (let i = 0; i < 3; i++)
      expect(await fanOut.execute(w.id, 'sent-here')).toEqual({ email: 1, push: 2, pushSkipped: 1, pushes: ['already_sent', 'already_sent'] });
    const skips = (await auditOf(env, suite.baseUrl, { withdrawalId: w.id })).filter((e) => e.event === 'push_rate_limited');
    expect(skips).toHaveLength(1);
  });

  it('eight withdrawals at once still send at most two pushes', async () => {
    const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    const created = await Promise.all(Array.from({ length: 8 }, () => channels.requestWithdrawal(c, '0.1')));
    expect(created.map((r) => r.status)).toEqual(Array(8).fill(202));
    const ids = created.map((r) => r.body.id as string);
    for (const id of ids) await channels.challengeEmail(c, id);
    await queueIdle(pushes);
    await settledJobs(
      pushes,
      ids.map((id) => `challenges.${id}`),
    );
    await queueIdle(pushes);
    const sent = env.push.messages.filter((m) => ids.includes(String(m.payload.withdrawalId)));
    expect(sent.length).toBeLessThanOrEqual(2);
  });

  it('eight fan-outs for one customer at the same moment (as on several notification workers) still grant at most two pushes', async () => {
    const c = await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    await pushes.pause(); // the fan-outs below are the first for these withdrawals
    try {
      const created = await Promise.all(Array.from({ length: 8 }, () => channels.requestWithdrawal(c, '0.1')));
      const fanOut = suite.notifier!.get(SendWithdrawalChallenges);
      await Promise.all(created.map((r) => fanOut.execute(r.body.id as string, 'sent-here')));
    } finally {
      await pushes.resume();
    }
    await queueIdle(pushes);
    const [{ granted }] = await env.admin.query(
      `SELECT count(*)::int AS granted FROM challenges c JOIN withdrawals w ON w.id = c.withdrawal_id WHERE w.user_id = $1 AND c.factor = 'push'`,
      [c.id],
    );
    expect(granted).toBe(2);
  });
});
