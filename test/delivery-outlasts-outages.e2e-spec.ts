import { QueueName, redisConnection } from '@app/queue';
import { Queue } from 'bullmq';
import { enrolCustomer } from './support/customer-factory';
import { HangingPushEndpoint } from './support/hanging-push-endpoint';
import { TestJobs } from './support/job-signing';
import { waitUntil } from './support/ledger-checks';
import { sentTo } from './support/smtp-catcher';
import { SwitchablePeer } from './support/switchable-peer';
import { useSuite } from './support/use-suite';

/** Where challenge emails travel: a queue of their own, apart from push and every other notification. */
const EMAIL_QUEUE = QueueName.ChallengeEmails;

/**
 * Issue #16, findings 1, 2 (a re-send after a crash) and 7: a challenge is retried, with capped backoff,
 * for as long as its withdrawal can still be confirmed — not for a fixed number of attempts — and nothing
 * is sent once it has ended; a re-send never kills the link already sent.
 */
describe('a challenge email outlasts an SMTP outage longer than any fixed retry budget', () => {
  const smtp = SwitchablePeer.toUrl(() => t.env.smtp.url);
  const overrides: Record<string, string> = { DELIVERY_RETRY_BASE: '100ms', DELIVERY_RETRY_CAP: '400ms' };
  beforeAll(async () => {
    overrides.SMTP_URL = await smtp.start('smtp');
  });
  const t = useSuite(overrides);
  afterAll(() => smtp.stop());

  it('SMTP refusing for more attempts than the old budget of 8: the email arrives once SMTP is back, and the withdrawal completes', async () => {
    const alice = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const bob = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const queue = new Queue(EMAIL_QUEUE, { connection: redisConnection(t.env.env.REDIS_URL), prefix: t.env.id });
    try {
      const attempts = async (id: string) => (await queue.getJob(`email.${id}`))?.attemptsMade ?? 0;
      smtp.refuse();
      const w = (await t.channels.requestWithdrawal(alice, '0.1')).body;
      const cancelled = (await t.channels.requestWithdrawal(bob, '0.1')).body;
      // Well past the old budget of 8 attempts, both emails are still being tried.
      await waitUntil(
        async () => (await attempts(w.id)) > 12 && (await attempts(cancelled.id)) > 12,
        'more than twelve attempts at each email',
        30_000,
      );
      // Each attempt is one try of the relay and one more on a fresh connection (for a pooled one the relay
      // had closed): the job's backoff, not a retry loop hidden inside an attempt, paces a relay that is down.
      // Other mail (the withdrawals' security notices) shares the relay, hence three connections an attempt.
      const tried = (await attempts(w.id)) + (await attempts(cancelled.id));
      expect(smtp.refused).toBeLessThanOrEqual(3 * (tried + 2));
      // Still being retried (between attempts, or in one): not failed for good.
      expect(['delayed', 'active', 'waiting']).toContain(await (await queue.getJob(`email.${w.id}`))?.getState());
      expect((await bob.client.post(`/v1/withdrawals/${cancelled.id}/cancel`)).status).toBe(200);
      // An attempt that passed its "still open?" check just before the cancel may still be connecting: let it
      // meet the refusal first, so that every attempt after SMTP returns began after the cancel.
      await waitUntil(
        async () => (await (await queue.getJob(`email.${cancelled.id}`))?.getState()) === 'delayed',
        "bob's email between attempts",
        15_000,
      );
      smtp.forward();

      const done = await t.channels.confirmAll(alice, w);
      expect(done.status.status).toBe('posted');
      console.log(`delivery outlasted ${smtp.refused} refused SMTP connections`);

      // Bob's withdrawal ended while SMTP was away: its job completed without sending, and stays quiet.
      await waitUntil(async () => (await queue.getJob(`email.${cancelled.id}`))?.finishedOn !== undefined, "bob's email job finished", 15_000);
      const job = await queue.getJob(`email.${cancelled.id}`);
      expect([await job?.getState(), job?.returnvalue]).toEqual(['completed', 'withdrawal_closed']);
    } finally {
      await queue.close();
    }
    expect(t.env.smtp.count((m) => sentTo(m, bob.email) && /Confirm your withdrawal/.test(m.subject ?? ''))).toBe(0);
  }, 120_000);
});

describe('a re-send after a crash leaves no dead link', () => {
  const t = useSuite();

  it('the notifier sent, then died before recording it: the re-sent email and the first one both work until one is used', async () => {
    const alice = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(alice, '0.1')).body;
    const first = await t.channels.emailToken(alice, w.id);
    const queue = new Queue(EMAIL_QUEUE, { connection: redisConnection(t.env.env.REDIS_URL), prefix: t.env.id });
    try {
      const id = `email.${w.id}`;
      await waitUntil(async () => (await queue.getJob(id))?.finishedOn !== undefined, 'the first delivery finished', 15_000);
      // What a crash between the SMTP answer and the commit of "sent" leaves behind: an unsent challenge, its lease run out.
      await t.env.admin.query(`UPDATE challenges SET sent_at = NULL, claimed_at = NULL WHERE withdrawal_id = $1 AND factor = 'email'`, [w.id]);
      await (await queue.getJob(id))?.remove();
      await queue.add('send-challenge-email', new TestJobs(t.env).sign(EMAIL_QUEUE, 'send-challenge-email', id, { withdrawalId: w.id }, 'notifier'), {
        jobId: id,
      });
    } finally {
      await queue.close();
    }
    const isChallenge = (m: { subject?: string; text?: string | false }) =>
      /Confirm your withdrawal/.test(m.subject ?? '') && (m.text || '').includes(w.id);
    await waitUntil(() => t.env.smtp.count((m) => sentTo(m, alice.email) && isChallenge(m)) === 2, 'the re-sent email', 15_000);

    expect((await t.channels.openPage(first)).status).toBe(200);
    expect((await t.channels.decide(first, 'approve', w.matchCode)).status).toBe(200);
    const doc = (await alice.client.get(`/v1/withdrawals/${w.id}`)).body;
    expect(doc.factors.email).toBe('approved');
  }, 60_000);
});

/** A suite whose apps may push to a service that never answers, besides the test's push service. */
function useSuiteWithHangingPushService(overrides: Record<string, string> = {}) {
  const hanging = new HangingPushEndpoint();
  const settings = { ...overrides };
  beforeAll(async () => {
    await hanging.start();
    settings.PUSH_SERVICE_HOSTS = hanging.origin;
  });
  const t = useSuite(settings);
  afterAll(() => hanging.stop());
  return { t, hanging };
}

describe('email and push are isolated from each other', () => {
  const { t, hanging } = useSuiteWithHangingPushService();

  it("a push service that hangs holds its share of the push slots, and another customer's challenge email still goes out while they hang", async () => {
    const carol = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const dave = await enrolCustomer(t.env, t.suite.baseUrl, {
      deposit: '1',
      subscriptions: Array.from({ length: 12 }, () => hanging.subscription()),
    });
    await t.channels.requestWithdrawal(dave, '0.1');
    // Eight of its share of the push slots (12 of 16): as many as the worker has email slots.
    await waitUntil(() => hanging.hanging >= 8, 'eight pushes hanging', 15_000);
    expect(hanging.abandoned).toBe(0);

    const w = (await t.channels.requestWithdrawal(carol, '0.1')).body;
    await t.channels.challengeEmail(carol, w.id);
    // Carol's email went out while every hanging push was still waiting for an answer: none of them had to give up first.
    expect(hanging.abandoned).toBe(0);
  }, 60_000);
});

describe("a customer's own push service that hangs", () => {
  const { t, hanging } = useSuiteWithHangingPushService();

  it('does not hold back their challenge email: the fan-out, which sends the pushes itself, adds the email first', async () => {
    const erin = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1', subscriptions: [hanging.subscription()] });
    const before = hanging.hanging;
    const w = (await t.channels.requestWithdrawal(erin, '0.1')).body;
    await waitUntil(() => hanging.hanging > before, "erin's push hanging", 15_000);
    await t.channels.challengeEmail(erin, w.id);
    // The email went out while the push to her only device was still waiting for an answer.
    expect(hanging.abandoned).toBe(0);
    expect(hanging.hanging).toBeGreaterThan(before);
  }, 60_000);
});

describe('one push service that hangs does not silence the customers of another', () => {
  // Four push slots, and pushes that hang for 20 s, longer than the test needs: no slot frees itself by timing out.
  const { t, hanging } = useSuiteWithHangingPushService({ PUSH_CONCURRENCY: '4', PUSH_TIMEOUT: '20s' });

  it('with more pushes hanging at one service than there are slots, a push to another service goes out while they hang', async () => {
    const dave = await enrolCustomer(t.env, t.suite.baseUrl, {
      deposit: '1',
      subscriptions: Array.from({ length: 8 }, () => hanging.subscription()),
    });
    const carol = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const daves = (await t.channels.requestWithdrawal(dave, '0.1')).body;
    await waitUntil(() => hanging.hanging >= 3, 'pushes hanging', 15_000);
    // Dave's eight pushes all want the hanging service; a slot or more must stay for the others.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const w = (await t.channels.requestWithdrawal(carol, '0.1')).body;
    const push = await t.env.push.waitFor((m) => m.endpoint === carol.subscriptions[0].endpoint && m.payload.withdrawalId === w.id, 10_000);
    expect(push.payload.withdrawalId).toBe(w.id);
    // Carol's push went out while dave's were still hanging: none had to time out first. Dave's service
    // held its share of the slots (three of four), his other pushes waiting their turn.
    expect(hanging.abandoned).toBe(0);
    expect(hanging.hanging).toBe(3);
    // Waiting for a slot is not a failed attempt: dave's fan-out, which sends his eight pushes, has used none.
    const queue = new Queue(QueueName.Pushes, { connection: redisConnection(t.env.env.REDIS_URL), prefix: t.env.id });
    try {
      const jobs = (await queue.getJobs(['active', 'delayed', 'waiting', 'failed'])).filter((j) => j.id?.includes(daves.id));
      expect(jobs.map((j) => [j.name, j.attemptsMade])).toEqual([['send-withdrawal-challenges', 0]]);
    } finally {
      await queue.close();
    }
    // A push that waits its turn holds no lease on its challenge (else, once a slot frees, it would wait the
    // lease out): no more of his challenges are claimed than pushes hang (the security notices of his
    // enrolment hang there too, and may hold the slots).
    const [{ claimed }] = await t.env.admin.query(
      "SELECT count(*)::int AS claimed FROM challenges WHERE withdrawal_id = $1 AND factor = 'push' AND claimed_at IS NOT NULL",
      [daves.id],
    );
    expect(claimed).toBeLessThanOrEqual(hanging.hanging);
  }, 60_000);
});
