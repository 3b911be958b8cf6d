import { publicKeyFromBase64, seal } from '@app/crypto';
import { ApiClient } from './support/api-client';
import { balanceOf, currentStep, problemCode, statusOf, transfersOf, waitUntil } from './support/attack-kit';
import { authenticatorCode, enrolCustomer, EnrolledCustomer, linkIn, tokenOf } from './support/customer-factory';
import { connectAs, refusal } from './support/db-roles';
import { ledgerFaults } from './support/ledger-checks';
import { sentTo } from './support/smtp-catcher';
import { useSuite } from './support/use-suite';

/**
 * Issue #9: the attacker holds one customer's bearer token — a stolen session — and, at most, one code
 * phished from the customer's authenticator. A factor changes only with a factor; every change is told on
 * the old channels with a "this wasn't me" link; a change ends open withdrawals; a factor enrolled after a
 * withdrawal was requested never confirms it (DESIGN.md invariant 10).
 */
describe('a stolen session changes nothing quietly', () => {
  const t = useSuite();
  /** The security notice with this subject mailed to the customer's (old) verified address after the first `after` messages (enrolment sends notices too). */
  const noticeTo = (customer: EnrolledCustomer, subject: string, after = 0) =>
    t.env.smtp.waitFor((m) => t.env.smtp.messages.indexOf(m) >= after && sentTo(m, customer.email) && m.subject === subject);
  const subscriptionIds = async (customer: EnrolledCustomer): Promise<string[]> =>
    (
      await t.env.admin.query(`SELECT id::text FROM push_subscriptions WHERE user_id = $1 AND retired_at IS NULL ORDER BY created_at`, [customer.id])
    ).map((r: { id: string }) => r.id);

  it('without a factor, every change is refused and nothing changes: authenticator, email, devices, addresses', async () => {
    const victim = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1', devices: 2 });
    const stolen = new ApiClient(t.suite.baseUrl, String(victim.client.bearer));
    const [device0, device1] = await subscriptionIds(victim);
    const attackerDevice = t.env.push.newSubscription();
    const mailsBefore = t.env.smtp.messages.length;

    const attempts = {
      'replace the authenticator': await stolen.post('/v1/me/totp', {}),
      'replace it with a wrong code': await stolen.post('/v1/me/totp', { currentCode: '000000' }),
      'move the email': await stolen.call('PUT', '/v1/me/email', { body: { email: 'attacker@example.test' } }),
      'add a push device': await stolen.post('/v1/me/push-subscriptions', attackerDevice),
      "remove the customer's device": await stolen.call('DELETE', `/v1/me/push-subscriptions/${device0}`, { body: {} }),
      'add an address': await stolen.post('/v1/me/addresses', { asset: 'BTC', network: 'bitcoin', address: 'bc1qattacker', label: 'mine' }),
      "remove the customer's address": await stolen.call('DELETE', `/v1/me/addresses/${victim.addressId}`, { body: {} }),
    };
    expect(Object.fromEntries(Object.entries(attempts).map(([what, r]) => [what, `${r.status} ${problemCode(r)}`]))).toEqual({
      'replace the authenticator': '422 invalid_code',
      'replace it with a wrong code': '422 invalid_code',
      'move the email': '422 invalid_code',
      'add a push device': '422 invalid_code',
      "remove the customer's device": '422 invalid_code',
      'add an address': '400 validation_failed', // an address always needs a code: the body is incomplete without one
      "remove the customer's address": '422 invalid_code',
    });

    const security = (await victim.client.get('/v1/me/security')).body;
    expect(security).toMatchObject({ email: { address: victim.email, verified: true }, totp: { active: true }, pushDevices: 2, frozen: false });
    expect(await subscriptionIds(victim)).toEqual([device0, device1]);
    expect((await victim.client.get('/v1/me/addresses')).body.map((a: { id: string }) => a.id)).toEqual([victim.addressId]);
    expect(t.env.smtp.messages.slice(mailsBefore).filter((m) => sentTo(m, 'attacker@example.test'))).toHaveLength(0);
    // The customer's own code still works: the refused attempts consumed nothing.
    const w = (await t.channels.requestWithdrawal(victim, '0.5')).body;
    await t.channels.confirmAll(victim, w);
  });

  it('with one phished code, a device added is announced by email to the old address and by push to the old device; "this wasn\'t me" freezes the account and nothing reaches the attacker', async () => {
    const victim = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '2' });
    const inFlight = (await t.channels.requestWithdrawal(victim, '0.5')).body;
    await t.channels.push(victim, inFlight.id);
    const stolen = new ApiClient(t.suite.baseUrl, String(victim.client.bearer));
    const attackerDevice = t.env.push.newSubscription();
    const before = t.env.smtp.messages.length;
    const added = await stolen.post('/v1/me/push-subscriptions', { ...attackerDevice, totpCode: await authenticatorCode(victim.totpSecret, 1) });
    expect(added.status).toBe(201);

    // Told on the old channels: the verified email, and the customer's own device (decrypted with its keys) — not the new one.
    const mail = await noticeTo(victim, 'Security notice: the devices that confirm your withdrawals changed', before);
    const mailLink = linkIn(mail.text ?? '', 'security-notice');
    const pushed = await t.env.push.waitFor(
      (m) => m.endpoint === victim.subscriptions[0].endpoint && m.payload.type === 'security-notice' && m.payload.change === 'push-device',
    );
    expect(pushed.payload).toMatchObject({
      type: 'security-notice',
      change: 'push-device',
      url: expect.stringMatching(/\/security-notice\/[A-Za-z0-9_-]+$/),
    });
    expect(pushed.payload.url).not.toBe(mailLink); // each message its own single-use link
    expect(t.env.push.messages.filter((m) => m.endpoint === attackerDevice.endpoint)).toHaveLength(0);

    // The change ended the withdrawal in flight: hold released, the customer told.
    const ended = await t.channels.waitForStatus(victim, inFlight.id, 'denied');
    expect(ended.reason).toBe('security_change');
    expect(await balanceOf(victim)).toEqual({ available: '2', held: '0' });

    // The customer opens the link from the email: a page, and one button that freezes withdrawals.
    const page = await fetch(mailLink);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("This wasn't me");
    const report = await new ApiClient(t.suite.baseUrl).post('/v1/security-notices', { token: tokenOf(mailLink) });
    expect(report.status).toBe(204);
    expect((await victim.client.get('/v1/me/security')).body.frozen).toBe(true);

    // The attacker, with the session and a device of their own, gets nowhere.
    const attempt = await t.channels.requestWithdrawal(victim, '1.9');
    expect([attempt.status, problemCode(attempt)]).toEqual([423, 'account_frozen']);
    expect(await transfersOf(t.env, inFlight.id)).toEqual({ pending: 1, void_pending: 1 });
    const [{ posted }] = await t.env.admin.query(
      `SELECT count(*)::int AS posted FROM ledger_transfers t JOIN withdrawals w ON w.id = t.withdrawal_id WHERE w.user_id = $1 AND t.kind = 'post_pending'`,
      [victim.id],
    );
    expect(posted).toBe(0);
    expect(await ledgerFaults(t.env.admin)).toEqual([]);
  });

  it('an email change needs the code, is announced to the old address, and a newer verification link revokes the older one', async () => {
    // Before an authenticator is active a change needs none (there is nothing to step up with): the link race is shown here.
    const early = { id: `early-${Date.now()}`, client: new ApiClient(t.suite.baseUrl, await t.env.token(`early-${Date.now()}`)) };
    const first = `first-${Date.now()}@example.test`;
    const second = `second-${Date.now()}@example.test`;
    expect((await early.client.call('PUT', '/v1/me/email', { body: { email: first } })).status).toBe(202);
    const firstLink = linkIn((await t.env.smtp.waitFor((m) => sentTo(m, first))).text ?? '', 'verify-email');
    expect((await early.client.call('PUT', '/v1/me/email', { body: { email: second } })).status).toBe(202);
    const secondLink = linkIn((await t.env.smtp.waitFor((m) => sentTo(m, second))).text ?? '', 'verify-email');
    const older = await new ApiClient(t.suite.baseUrl).post('/v1/email-verifications', { token: tokenOf(firstLink) });
    expect([older.status, problemCode(older)]).toEqual([410, 'token_invalid']);
    expect((await new ApiClient(t.suite.baseUrl).post('/v1/email-verifications', { token: tokenOf(secondLink) })).status).toBe(204);
    expect((await early.client.get('/v1/me/security')).body.email).toEqual({ address: second, verified: true });

    // Once TOTP is active: refused without the code; with it, the old address hears of it before the new one is verified.
    const victim = await enrolCustomer(t.env, t.suite.baseUrl);
    const moved = `moved-${Date.now()}@example.test`;
    const withoutCode = await victim.client.call('PUT', '/v1/me/email', { body: { email: moved } });
    expect([withoutCode.status, problemCode(withoutCode)]).toEqual([422, 'invalid_code']);
    const withCode = await victim.client.call('PUT', '/v1/me/email', {
      body: { email: moved, totpCode: await authenticatorCode(victim.totpSecret, 1) },
    });
    expect(withCode.status).toBe(202);
    const notice = await noticeTo(victim, 'Security notice: your email address for withdrawal confirmations is being changed');
    expect(notice.text).toContain('/security-notice/');
    await t.env.smtp.waitFor((m) => sentTo(m, moved) && /Verify/.test(m.subject ?? ''));
  });

  it("a new authenticator ends the withdrawal requested before it, and Postgres refuses its approval even as the confirmation service's role", async () => {
    const victim = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '2' });
    const w = (await t.channels.requestWithdrawal(victim, '0.5')).body;
    expect((await t.channels.approveEmail(victim, w.id, w.matchCode)).status).toBe(200);
    expect((await t.channels.approvePush(victim, w.id, w.matchCode)).status).toBe(200);

    // Through the apps: replacing the authenticator (with the current code) ends the withdrawal; the new code cannot confirm it.
    const enrolment = await victim.client.post('/v1/me/totp', { currentCode: await authenticatorCode(victim.totpSecret, 1) });
    expect(enrolment.status).toBe(201);
    expect(enrolment.headers.get('cache-control')).toContain('no-store');
    const newSecret: string = enrolment.body.secret;
    // A code is accepted once per customer and 30-second step, whichever authenticator made it: the three steps
    // of the ±1 window are spent (enrolment, address, current code), so the new authenticator's first code waits for the next.
    const spent = currentStep();
    await waitUntil(() => currentStep() > spent, 31_000, 'the next TOTP step');
    expect((await victim.client.post('/v1/me/totp/activate', { code: await authenticatorCode(newSecret, 1) })).status).toBe(204);
    expect((await t.channels.waitForStatus(victim, w.id, 'denied')).reason).toBe('security_change');
    const late = await victim.client.post(`/v1/withdrawals/${w.id}/totp`, { code: await authenticatorCode(newSecret, 0) });
    expect([late.status, problemCode(late)]).toEqual([409, 'withdrawal_not_pending']);

    // Around the apps: a second withdrawal, then an authenticator activated behind it in SQL as the confirmation service's role.
    const w2 = (await t.channels.requestWithdrawal(victim, '0.5')).body;
    expect((await t.channels.approveEmail(victim, w2.id, w2.matchCode)).status).toBe(200);
    expect((await t.channels.approvePush(victim, w2.id, w2.matchCode)).status).toBe(200);
    const confirmer = await connectAs(t.env, 'confirmer');
    try {
      await confirmer.query('BEGIN');
      const sealedSecret = seal(publicKeyFromBase64(t.env.env.TOTP_SEAL_PUBLIC_KEY), 'JBSWY3DPEHPK3PXP', `totp/${victim.id}`);
      const {
        rows: [enrolled],
      } = await confirmer.query(`INSERT INTO totp_enrolments (user_id, sealed_secret) VALUES ($1, $2) RETURNING id`, [victim.id, sealedSecret]);
      await confirmer.query(`UPDATE totp_enrolments SET status = 'revoked', revoked_at = now() WHERE user_id = $1 AND status = 'active'`, [
        victim.id,
      ]);
      await confirmer.query(`UPDATE totp_enrolments SET status = 'active', activated_at = now() WHERE id = $1`, [enrolled.id]);
      await confirmer.query(
        `UPDATE withdrawal_factors f SET status = 'approved', decided_at = now(), enrolment_id = $2, evidence = 'totp-step:0',
                digest = (SELECT digest FROM withdrawal_factors e WHERE e.withdrawal_id = f.withdrawal_id AND e.factor = 'email')
          WHERE withdrawal_id = $1 AND factor = 'totp'`,
        [w2.id, enrolled.id],
      );
      const posting = await refusal(
        confirmer.query(
          `INSERT INTO ledger_transfers (kind, pending_id) SELECT 'post_pending', id FROM ledger_transfers WHERE withdrawal_id = $1 AND kind = 'pending'`,
          [w2.id],
        ),
      );
      expect(posting).toMatchObject({ code: '23514', constraint: 'ledger_factor_enrolled_after_request' });
    } finally {
      await confirmer.query('ROLLBACK');
      await confirmer.end();
    }
    expect((await statusOf(victim, w2.id)).status).toBe('pending_confirmation');
  });

  it('pause stops posting but not confirming: a withdrawal confirmed while paused posts once on resume', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(customer, '0.4')).body;
    const op = t.env.operator(t.suite.baseUrl);
    expect((await op.post('/v1/admin/withdrawals/pause', { reason: 'incident drill' })).status).toBe(200);
    try {
      expect((await t.channels.approveEmail(customer, w.id, w.matchCode)).status).toBe(200);
      expect((await t.channels.approvePush(customer, w.id, w.matchCode)).status).toBe(200);
      expect((await t.channels.submitTotp(customer, w.id)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1500));
      const paused = await statusOf(customer, w.id);
      expect([paused.status, paused.factors]).toEqual(['pending_confirmation', { email: 'approved', push: 'approved', totp: 'approved' }]);
      expect(await transfersOf(t.env, w.id)).toEqual({ pending: 1 });
    } finally {
      expect((await op.post('/v1/admin/withdrawals/resume')).status).toBe(200);
    }
    await t.channels.waitForStatus(customer, w.id, 'posted');
    await new Promise((r) => setTimeout(r, 500));
    expect(await transfersOf(t.env, w.id)).toEqual({ pending: 1, post_pending: 1 });
  });

  it('removing the destination address (with a code) ends the withdrawals to it', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = (await t.channels.requestWithdrawal(customer, '0.4')).body;
    expect((await t.channels.approveEmail(customer, w.id, w.matchCode)).status).toBe(200);
    const removed = await customer.client.call('DELETE', `/v1/me/addresses/${customer.addressId}`, {
      body: { totpCode: await authenticatorCode(customer.totpSecret, 1) },
    });
    expect(removed.status).toBe(204);
    const ended = await t.channels.waitForStatus(customer, w.id, 'denied');
    expect(ended.reason).toBe('security_change');
    expect(await balanceOf(customer)).toEqual({ available: '1', held: '0' });
    const push = await t.channels.pushToken(customer, w.id);
    const late = await t.channels.decide(push, 'approve', w.matchCode);
    expect([late.status, problemCode(late)]).toEqual([410, 'token_invalid']);
    // Told like any change: the address notice of the enrolment, then this one.
    await waitUntil(
      () => t.env.smtp.count((m) => sentTo(m, customer.email) && m.subject === 'Security notice: your withdrawal addresses changed') === 2,
    );
  });
});
