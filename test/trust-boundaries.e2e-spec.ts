import { AppRole, APP_ROLES } from '@app/config';
import { EvidenceJobName, JOB_PRODUCERS, QueueName, redisConnection } from '@app/queue';
import { Job, Queue } from 'bullmq';
import { randomBytes, randomUUID } from 'node:crypto';
import { ApiClient } from './support/api-client';
import { auditOf, balanceOf, metricValue, problemCode, settledJobs, statusOf, waitUntil } from './support/attack-kit';
import { authenticatorCode, enrolCustomer, EnrolledCustomer } from './support/customer-factory';
import { TestJobs } from './support/job-signing';
import { ledgerFaults } from './support/ledger-checks';
import { RedisRecorder } from './support/redis-recorder';
import { sentTo } from './support/smtp-catcher';
import { REDIS_URL } from './support/test-suite';
import { useSuite } from './support/use-suite';
import { walletAccepts } from './support/wallet';

/**
 * Issue #8, attacked from outside the apps: a hostile customer id, a row that can never be published, a
 * reader of Redis, a writer to Redis, a dashboard login. None of them may move funds, silence a customer
 * or stop the queue (DESIGN.md invariants 9 and 11). The insider with the API's database password is in
 * insider-api-role.e2e-spec.ts.
 */
describe('trust boundaries: what Redis, a customer id or a dashboard login can do', () => {
  const DASHBOARD = { user: 'ops', password: 'dashboard-in-tests' };
  const t = useSuite({ DASHBOARD_USER: DASHBOARD.user, DASHBOARD_PASSWORD: DASHBOARD.password });
  const queues = new Map<QueueName, Queue>();

  /** A queue as anyone holding Redis credentials opens it: no app key, just the prefix. */
  const queue = (name: QueueName) => {
    if (!queues.has(name)) queues.set(name, new Queue(name, { connection: redisConnection(REDIS_URL), prefix: t.env.id }));
    return queues.get(name)!;
  };
  afterAll(async () => {
    await Promise.all([...queues.values()].map((q) => q.close()));
  });

  const posted = async (customer: EnrolledCustomer, amount: string) => {
    const w = (await t.channels.requestWithdrawal(customer, amount)).body;
    if (!w.id) throw new Error(`withdrawal refused: ${JSON.stringify(w)}`);
    await t.channels.confirmAll(customer, w);
    return w as { id: string; matchCode: string };
  };

  describe('one bad job never stops the others', () => {
    it('customer ids with ":", "/", spaces, unicode and 255 characters go end to end: enrolled, posted, signed for the wallet, frozen and unfrozen', async () => {
      const ids = [
        `google-oauth2:${randomBytes(6).toString('hex')}`,
        `tenant/${randomBytes(4).toString('hex')}/user`,
        `a customer ${randomBytes(4).toString('hex')}`,
        `ユーザー・${randomBytes(3).toString('hex')}・🚀`,
        `L${randomBytes(4).toString('hex')}`.padEnd(255, 'x'),
      ];
      const customers = await Promise.all(ids.map((id) => enrolCustomer(t.env, t.suite.baseUrl, { id, deposit: '1' })));
      const withdrawals = await Promise.all(customers.map((c) => posted(c, '0.25')));

      const op = t.env.operator(t.suite.baseUrl);
      for (const [i, customer] of customers.entries()) {
        expect((await statusOf(customer, withdrawals[i].id)).status).toBe('posted');
        expect(await balanceOf(customer)).toEqual({ available: '0.75', held: '0' });
        const job = await queue(QueueName.WithdrawalsPosted).getJob(withdrawals[i].id);
        expect(job?.data.userId).toBe(customer.id);
        expect(walletAccepts(job!, t.env.keys.confirmerSigning.publicKey)).toBe(true);
        // Operators address them by id in the path, URL-encoded.
        const path = `/v1/admin/users/${encodeURIComponent(customer.id)}`;
        expect((await op.post(`${path}/freeze`, { reason: 'unusual id check' })).status).toBe(204);
        expect((await customer.client.get('/v1/me/security')).body.frozen).toBe(true);
        expect((await op.post(`${path}/unfreeze`)).status).toBe(204);
        expect((await customer.client.get('/v1/me/security')).body.frozen).toBe(false);
      }
      expect(await ledgerFaults(t.env.admin)).toEqual([]);
    });

    it('a customer with a colon in the id reuses a code: 422 code_reused, the alert is mailed, and everyone else still gets challenges', async () => {
      const colon = await enrolCustomer(t.env, t.suite.baseUrl, { id: `google-oauth2:${randomBytes(8).toString('hex')}`, deposit: '1' });
      const bob = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
      const w = (await t.channels.requestWithdrawal(colon, '0.1')).body;
      const reused = await colon.client.post(`/v1/withdrawals/${w.id}/totp`, { code: colon.addressCode });
      expect([reused.status, problemCode(reused)]).toEqual([422, 'code_reused']);
      const alert = await t.env.smtp.waitFor((m) => sentTo(m, colon.email) && /code was used twice/.test(m.subject ?? ''));
      expect(alert.text).toBeTruthy();

      // Published after the alert, through the same relay: Bob's challenges and his posting, and the colon customer's own.
      const bobs = await posted(bob, '0.2');
      expect((await statusOf(bob, bobs.id)).status).toBe('posted');
      await t.channels.confirmAll(colon, w, 1);
      expect((await statusOf(colon, w.id)).status).toBe('posted');
      // The posting's own jobs are published right after its commit, a moment after `posted` shows: none stays behind.
      await waitUntil(
        async () => (await t.env.admin.query(`SELECT count(*)::int AS stuck FROM outbox WHERE published_at IS NULL`))[0].stuck === 0,
        15_000,
        'every outbox row published',
      );
    });

    it("a committed row no relay was told of (its app crashed before publishing) is published by the relays' sweep, with nothing else happening", async () => {
      const jobId = `sweep-${randomBytes(6).toString('hex')}`;
      const [{ id }] = await t.env.admin.query(
        `INSERT INTO outbox (queue, name, job_id, data) VALUES ('confirmations', 'expire-withdrawal', $1, '{}') RETURNING id::text`,
        [jobId],
      );
      await waitUntil(
        async () => (await t.env.admin.query(`SELECT published_at FROM outbox WHERE id = $1`, [id]))[0].published_at !== null,
        10_000,
        'the row published by a sweep',
      );
    });

    it('a row that can never be published is set aside as failed, audited, counted in /metrics and listed for operators, while the relay goes on', async () => {
      // BullMQ refuses this id ("Custom Id cannot contain :"): as a row written by an older release would be.
      const [{ id: poisonId }] = await t.env.admin.query(
        `INSERT INTO outbox (queue, name, job_id, data) VALUES ('notifications', 'send-outcome-email', 'poison:row', '{"withdrawalId":"x"}') RETURNING id::text`,
      );
      const carol = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
      const w = await posted(carol, '0.3');
      expect((await statusOf(carol, w.id)).status).toBe('posted');
      await t.env.smtp.waitFor((m) => sentTo(m, carol.email) && /confirmed and sent/.test(m.subject ?? ''));

      await waitUntil(async () => (await t.env.admin.query(`SELECT failed_at FROM outbox WHERE id = $1`, [poisonId]))[0].failed_at !== null);
      const [row] = await t.env.admin.query(`SELECT attempts, last_error, published_at FROM outbox WHERE id = $1`, [poisonId]);
      expect(row).toMatchObject({ attempts: 3, published_at: null });
      expect(row.last_error).toMatch(/cannot contain :/);

      const audit = await auditOf(t.env, t.suite.baseUrl, { event: 'outbox_row_failed' });
      expect(audit.find((a) => a.event === 'outbox_row_failed' && a.detail.outboxId === poisonId)).toMatchObject({
        detail: { queue: 'notifications', name: 'send-outcome-email', jobId: 'poison:row' },
      });
      expect(await metricValue(t.suite.baseUrl, 'countersign_outbox', { measure: 'failed' })).toBe(1);
      const listed = await t.env.operator(t.suite.baseUrl).get('/v1/admin/outbox/failed');
      expect(listed.status).toBe(200);
      expect(listed.body.items).toEqual([
        expect.objectContaining({ id: poisonId, queue: 'notifications', name: 'send-outcome-email', jobId: 'poison:row' }),
      ]);
    });
  });

  describe('reading Redis authorises nothing', () => {
    it('records every command, key, stream entry and event during enrolment, a deposit and a withdrawal, and finds no token, code, secret or bearer in any of it', async () => {
      const recorder = await new RedisRecorder(t.env.id).start();
      const operatorToken = await t.env.token('operator-7', ['operator'], '5m');
      const seen = await (async () => {
        try {
          const dave = await enrolCustomer(t.env, t.suite.baseUrl);
          const deposit = await new ApiClient(t.suite.baseUrl, operatorToken).post('/v1/admin/deposits', {
            userId: dave.id,
            asset: 'BTC',
            amount: '2',
            reference: `dep-${randomUUID()}`,
          });
          expect(deposit.status).toBe(201);
          const w = (await t.channels.requestWithdrawal(dave, '0.5')).body as { id: string; matchCode: string };
          const evidence = await t.channels.confirmAll(dave, w);
          await waitUntil(() => t.env.smtp.count((m) => sentTo(m, dave.email) && /confirmed and sent/.test(m.subject ?? '')) === 1);
          return { dave, w, evidence };
        } finally {
          // Stopped whatever happened: a MONITOR left open would keep the test process alive.
          await recorder.stop();
        }
      })();
      const { dave, w, evidence } = seen;
      const recorded = recorder.recorded.join('\n');

      expect(recorded.length).toBeGreaterThan(10_000); // it did see the traffic: job data, events, keys
      expect(recorded).toContain(w.id);
      expect(recorded).toContain(`\\"${w.id}\\"`); // strings inside job data appear as \"…\", as the match code would
      const secrets: Record<string, string> = {
        'operator bearer token': operatorToken,
        'customer bearer token': String(dave.client.bearer),
        'TOTP secret': dave.totpSecret,
        'email token': evidence.emailToken,
        'push token': evidence.pushToken,
        'TOTP code (withdrawal)': `"${evidence.totpCode}"`,
        'TOTP code (activation)': `"${dave.activationCode}"`,
        'TOTP code (address)': `"${dave.addressCode}"`,
        // Two digits as a bare argument are any count or score; as a string inside job data (JSON, escaped by MONITOR) they are the code.
        'match code': `\\"${w.matchCode}\\"`,
        'push keys': dave.subscriptions[0].keys.auth,
      };
      const found = Object.entries(secrets).filter(([, value]) => recorded.includes(value));
      expect(found.map(([what]) => what)).toEqual([]);
      for (const field of ['"token"', '"code"', '"matchCode"', '"operatorToken"', '"secret"', '"totpCode"', '"currentCode"']) {
        expect(recorded).not.toContain(field);
      }

      // Had a reader found the operator's token anyway, it is spent: single use by its jti.
      const again = await new ApiClient(t.suite.baseUrl, operatorToken).post('/v1/admin/deposits', {
        userId: dave.id,
        asset: 'BTC',
        amount: '1000',
        reference: `dep-${randomUUID()}`,
      });
      expect([again.status, problemCode(again)]).toEqual([403, 'forbidden']);
      expect(await balanceOf(dave)).toEqual({ available: '1.5', held: '0' });
    });
  });

  describe('writing Redis is obeyed in nothing', () => {
    it('every job name forged into Redis, unsigned or signed by an app not allowed to make it, is refused and audited, and nothing happens', async () => {
      const victim = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '2' });
      const w = (await t.channels.requestWithdrawal(victim, '1')).body;
      const emailToken = await t.channels.emailToken(victim, w.id);
      await t.channels.push(victim, w.id);
      const [{ id: subscriptionId }] = await t.env.admin.query(`SELECT id::text FROM push_subscriptions WHERE user_id = $1`, [victim.id]);
      const mailsBefore = t.env.smtp.count((m) => sentTo(m, victim.email));
      const pushesBefore = t.env.push.messages.filter((m) => m.endpoint === victim.subscriptions[0].endpoint).length;
      const totpCode = await authenticatorCode(victim.totpSecret, 1);

      // The strongest forgeries: real evidence, sealed with the public sealing key as anyone can. Only a signature is missing.
      const sealer = new TestJobs(t.env);
      const attackerDevice = t.env.push.newSubscription();
      const operatorToken = () => t.env.token('operator-1', ['operator'], '5m');
      const evidence = async (name: string): Promise<object> => {
        const byName: Partial<Record<EvidenceJobName, object>> = {
          'verify-totp': { code: totpCode },
          'activate-totp': { code: totpCode },
          'decide-token': { token: emailToken, decision: 'deny' },
          'change-email': { totpCode },
          'verify-email': { token: emailToken },
          'enrol-totp': { currentCode: totpCode },
          'add-push-device': { totpCode, auth: attackerDevice.keys.auth },
          'remove-push-device': { totpCode },
          'add-address': { totpCode },
          'remove-address': { totpCode },
          'report-security-change': { token: emailToken },
          'passkey-registration-options': { totpCode },
          'add-passkey': { response: { id: 'attacker-credential', type: 'public-key' } },
          'remove-passkey': { totpCode },
          'set-anti-phishing-code': { totpCode, code: 'forged code' },
        };
        return byName[name as EvidenceJobName] ?? { operatorToken: await operatorToken() };
      };
      const userId = victim.id;
      const withdrawalId = w.id;
      const data: Record<string, object> = {
        'send-withdrawal-challenges': { withdrawalId },
        'send-challenge-email': { withdrawalId },
        'send-challenge-push': { withdrawalId, subscriptionId },
        'send-outcome-email': { withdrawalId },
        'send-email-verification': { verificationId: randomUUID() },
        'send-notice-email': { deliveryId: randomUUID() },
        'send-notice-push': { deliveryId: randomUUID() },
        'send-security-alert': { userId, alert: 'withdrawal_denied_not_me', dedupeKey: `forged-${randomUUID()}` },
        'send-operator-alert': { alert: 'automatic_pause', facts: { lastMinute: 999 }, dedupeKey: `forged-${randomUUID()}` },
        'verify-totp': { userId, withdrawalId },
        'activate-totp': { userId },
        'decide-token': {},
        'change-email': { userId, email: 'attacker@example.test' },
        'verify-email': {},
        'enrol-totp': { userId, sealedSecret: 'x' },
        'add-push-device': { userId, endpoint: attackerDevice.endpoint, p256dh: attackerDevice.keys.p256dh },
        'remove-push-device': { userId, subscriptionId },
        'add-address': { userId, asset: 'BTC', network: 'bitcoin', address: 'bc1qattacker', label: 'mine' },
        'remove-address': { userId, addressId: victim.addressId },
        'report-security-change': {},
        'passkey-registration-options': { userId },
        'add-passkey': { userId, label: 'attacker key' },
        'remove-passkey': { userId, passkeyId: randomUUID() },
        'set-anti-phishing-code': { userId },
        'cancel-withdrawal': { userId, withdrawalId },
        'release-withdrawal': { operatorId: 'operator-1', withdrawalId },
        'reject-withdrawal': { operatorId: 'operator-1', withdrawalId, reason: 'forged' },
        'revoke-all-totp': { operatorId: 'operator-1', reason: 'forged' },
        'freeze-account': { operatorId: 'operator-1', userId, reason: 'forged' },
        'unfreeze-account': { operatorId: 'operator-1', userId },
        'credit-deposit': { operatorId: 'operator-1', userId, asset: 'BTC', amount: '1000', reference: `forged-${randomUUID()}` },
        'expire-withdrawal': { withdrawalId },
        'resume-withdrawals': { resumedAt: new Date().toISOString() },
        'sweep-expired': {},
        'withdrawal-posted': {
          withdrawalId,
          transferId: randomUUID(),
          userId,
          asset: 'BTC',
          network: 'bitcoin',
          amount: '250',
          address: 'bc1qattacker',
          postedAt: new Date().toISOString(),
        },
      };

      const forged: { queue: QueueName; name: string; id: string; how: string; job?: Job }[] = [];
      for (const [queueName, names] of Object.entries(JOB_PRODUCERS) as [QueueName, Record<string, readonly AppRole[]>][]) {
        for (const [name, producers] of Object.entries(names)) {
          if (!data[name]) throw new Error(`no forged data for ${name}: add it here`);
          const wrongProducer = APP_ROLES.find((role) => !producers.includes(role))!;
          for (const how of ['unsigned', `signed by ${wrongProducer}`]) {
            const id = `forged.${randomUUID()}`;
            const sealed = name in EVIDENCE_JOBS ? sealer.seal(name as EvidenceJobName, id, await evidence(name)) : {};
            const payload = { ...data[name], ...sealed };
            const body = how === 'unsigned' ? payload : sealer.sign(queueName, name, id, payload, wrongProducer);
            const job = await queue(queueName).add(name, body, { jobId: id, attempts: 5 });
            forged.push({ queue: queueName, name, id, how, job });
          }
        }
      }
      expect(forged).toHaveLength(2 * Object.values(JOB_PRODUCERS).reduce((n, names) => n + Object.keys(names).length, 0));

      // The consumers refuse each one for good (no retry), and say why in the audit log.
      for (const q of [QueueName.Notifications, QueueName.Confirmations, QueueName.ChallengeEmails, QueueName.Pushes]) {
        const mine = forged.filter((f) => f.queue === q);
        const outcomes = await settledJobs(
          queue(q),
          mine.map((f) => f.id),
        );
        expect(outcomes.map((o) => [o.state, o.value])).toEqual(
          mine.map((f) => ['failed', `job refused: ${f.how === 'unsigned' ? 'unsigned' : 'producer_not_allowed'}`]),
        );
      }
      const refusals = await t.env.admin.query<{ detail: Record<string, string> }[]>(`SELECT detail FROM audit_events WHERE event = 'job_refused'`);
      for (const f of forged.filter((x) => x.queue !== QueueName.WithdrawalsPosted)) {
        expect(refusals.map((r) => r.detail)).toContainEqual({
          queue: f.queue,
          name: f.name,
          jobId: f.id,
          reason: f.how === 'unsigned' ? 'unsigned' : 'producer_not_allowed',
        });
      }
      // The wallet is the consumer of withdrawals-posted: it accepts neither forgery.
      for (const f of forged.filter((x) => x.queue === QueueName.WithdrawalsPosted)) {
        expect(walletAccepts((await queue(f.queue).getJob(f.id))!, t.env.keys.confirmerSigning.publicKey)).toBe(false);
      }

      // Nothing happened: the withdrawal still waits for all three, funds held not moved, factors and account intact, no mail or push.
      const status = await statusOf(victim, w.id);
      expect([status.status, status.factors]).toEqual(['pending_confirmation', { email: 'pending', push: 'pending', totp: 'pending' }]);
      expect(await balanceOf(victim)).toEqual({ available: '1', held: '1' });
      const security = (await victim.client.get('/v1/me/security')).body;
      expect(security).toMatchObject({ frozen: false, email: { address: victim.email, verified: true } });
      expect(JSON.stringify(security)).not.toContain('attacker');
      expect((await victim.client.get('/v1/me/addresses')).body.map((a: { id: string }) => a.id)).toEqual([victim.addressId]);
      expect(t.env.smtp.count((m) => sentTo(m, victim.email))).toBe(mailsBefore);
      expect(t.env.push.messages.filter((m) => m.endpoint === victim.subscriptions[0].endpoint)).toHaveLength(pushesBefore);

      // And the real evidence the forgeries carried was never consumed: the customer confirms with the same token and code.
      expect((await t.channels.decide(emailToken, 'approve', w.matchCode)).status).toBe(200);
      expect((await t.channels.approvePush(victim, w.id, w.matchCode)).status).toBe(200);
      expect((await victim.client.post(`/v1/withdrawals/${w.id}/totp`, { code: totpCode })).status).toBe(200);
      expect((await t.channels.waitForStatus(victim, w.id, 'posted')).status).toBe('posted');
      expect(await ledgerFaults(t.env.admin)).toEqual([]);
    }, 60_000);

    it('a signed job captured in Redis and replayed under another id or for another withdrawal is refused; replayed as it was, it does nothing more', async () => {
      const erin = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '2' });
      const first = (await t.channels.requestWithdrawal(erin, '0.5')).body;
      const second = (await t.channels.requestWithdrawal(erin, '0.5')).body;

      // The attacker watches the confirmations queue and copies the API's verify-totp job before it is consumed.
      const confirmations = queue(QueueName.Confirmations);
      await confirmations.pause();
      const submitted = erin.client.post(`/v1/withdrawals/${first.id}/totp`, { code: await authenticatorCode(erin.totpSecret, 1) });
      let captured: Job | undefined;
      await waitUntil(async () => Boolean((captured = (await confirmations.getWaiting()).find((j) => j.name === 'verify-totp'))));
      const copy = { name: captured!.name, id: captured!.id!, data: structuredClone(captured!.data) };
      await confirmations.resume();
      expect((await submitted).status).toBe(200);
      await waitUntil(async () => !(await confirmations.getJob(copy.id)));

      // Replayed exactly as it was (same id, same data): admitted, as a redelivery would be, but the code is spent.
      await confirmations.add(copy.name, copy.data, { jobId: copy.id });
      const [same] = await settledJobs(confirmations, [copy.id]);
      expect(same).toMatchObject({ state: 'completed', value: { ok: false, code: 'code_reused' } });
      await (await confirmations.getJob(copy.id))!.remove();

      // Changed in any way the signature covers: refused before anything is opened.
      const replays = [
        { id: `replay.${randomUUID()}`, data: copy.data },
        { id: `replay.${randomUUID()}`, data: { ...copy.data, withdrawalId: second.id } },
        { id: copy.id, data: { ...copy.data, withdrawalId: second.id } },
      ];
      for (const r of replays) await confirmations.add(copy.name, r.data, { jobId: r.id });
      const outcomes = await settledJobs(
        confirmations,
        replays.map((r) => r.id),
      );
      expect(outcomes.map((o) => [o.state, o.value])).toEqual(replays.map(() => ['failed', 'job refused: bad_signature']));

      // Its sealed code moved into a job a producer did sign, for the other withdrawal: the box opens only under its own job.
      const resigned = `resigned.${randomUUID()}`;
      await confirmations.add(
        'verify-totp',
        new TestJobs(t.env).sign(
          QueueName.Confirmations,
          'verify-totp',
          resigned,
          { userId: erin.id, withdrawalId: second.id, sealed: copy.data.sealed },
          'api',
        ),
        { jobId: resigned },
      );
      const [moved] = await settledJobs(confirmations, [resigned]);
      expect(moved).toMatchObject({ state: 'failed', value: 'job refused: its evidence does not open here' });

      expect((await statusOf(erin, second.id)).factors.totp).toBe('pending');
      expect((await statusOf(erin, first.id)).factors).toEqual({ email: 'pending', push: 'pending', totp: 'approved' });
    });

    it('Bull Board shows the queues to a dashboard login but refuses to add, retry, promote, clean or remove, and never shows evidence', async () => {
      const auth = { authorization: `Basic ${Buffer.from(`${DASHBOARD.user}:${DASHBOARD.password}`).toString('base64')}` };
      const frank = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
      const w = (await t.channels.requestWithdrawal(frank, '0.5')).body;
      const base = `${t.suite.baseUrl}/admin/queues/api/queues`;

      expect((await fetch(`${base}?activeQueue=confirmations&status=latest&page=1`)).status).toBe(401);
      const list = await fetch(`${base}?activeQueue=notifications&status=latest&page=1`, { headers: auth });
      expect(list.status).toBe(200);
      const shown = await list.text();
      expect(shown).toContain('"notifications"');
      expect(shown).not.toMatch(/"value":"[A-Za-z0-9_-]{40,}"/); // signatures shown as "signed", not their bytes

      const attempts = [
        ['POST', `${base}/confirmations/add`, { name: 'reject-withdrawal', data: { operatorId: 'x', withdrawalId: w.id, reason: 'dashboard' } }],
        ['PUT', `${base}/confirmations/retry/failed`, undefined],
        ['PUT', `${base}/confirmations/promote`, undefined],
        ['PUT', `${base}/notifications/clean/completed`, undefined],
        ['PUT', `${base}/notifications/empty`, undefined],
        ['PUT', `${base}/notifications/obliterate`, undefined],
        ['PUT', `${base}/confirmations/pause`, undefined],
        ['PUT', `${base}/pause`, undefined],
      ] as const;
      for (const [method, url, body] of attempts) {
        const r = await fetch(url, {
          method,
          headers: { ...auth, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        expect([method, url, r.status]).toEqual([method, url, 405]);
      }
      expect((await statusOf(frank, w.id)).status).toBe('pending_confirmation');
      expect(await queue(QueueName.Confirmations).getJobCounts('waiting', 'delayed')).toEqual({ waiting: 0, delayed: expect.any(Number) });
    });
  });
});

/** The jobs that carry sealed evidence (the keys of ConfirmationEvidence), spelled out so the compiler checks the list. */
const EVIDENCE_JOBS: Record<EvidenceJobName, true> = {
  'verify-totp': true,
  'activate-totp': true,
  'decide-token': true,
  'change-email': true,
  'verify-email': true,
  'enrol-totp': true,
  'add-push-device': true,
  'remove-push-device': true,
  'add-address': true,
  'remove-address': true,
  'report-security-change': true,
  'credit-deposit': true,
  'release-withdrawal': true,
  'reject-withdrawal': true,
  'revoke-all-totp': true,
  'freeze-account': true,
  'unfreeze-account': true,
  'passkey-registration-options': true,
  'add-passkey': true,
  'remove-passkey': true,
  'set-anti-phishing-code': true,
};
