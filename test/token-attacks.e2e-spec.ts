import { SignJWT } from 'jose';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { ApiClient } from './support/api-client';
import { authenticatorCode, enrolCustomer, linkIn, TestCustomer, tokenOf } from './support/customer-factory';
import { balanceOf, problemCode, statusOf, tally, transfersOf } from './support/attack-kit';
import { redisKeysContaining, tablesContaining } from './support/secret-search';
import { sentTo } from './support/smtp-catcher';
import { useSuite } from './support/use-suite';

/**
 * Email and push tokens are bearer credentials: scoped to one factor of one withdrawal, single use,
 * stored only as SHA-256. Customer and operator endpoints need a valid JWT. Another customer's
 * withdrawal is 404, never 403.
 */
describe('tokens, bearer JWTs and other customers', () => {
  const t = useSuite();
  let anonymous: ApiClient;

  beforeAll(() => {
    anonymous = new ApiClient(t.suite.baseUrl);
  });

  async function withdrawal(c: TestCustomer, amount = '0.1') {
    const r = await t.channels.requestWithdrawal(c, amount);
    expect([r.status, r.body.detail]).toEqual([202, undefined]);
    return r.body as { id: string; matchCode: string };
  }

  const answer = (r: { status: number; headers: Headers; body: any }) => `${r.status} ${problemCode(r) ?? ''}`.trim();

  describe('two customers, A and B', () => {
    let a: TestCustomer;
    let b: TestCustomer;
    let wa: { id: string; matchCode: string };
    let wb: { id: string; matchCode: string };

    beforeAll(async () => {
      [a, b] = await Promise.all([enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' }), enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' })]);
      [wa, wb] = await Promise.all([withdrawal(a), withdrawal(b)]);
    });

    it("B's email token decides B's withdrawal only; A's stays untouched", async () => {
      const bToken = await t.channels.emailToken(b, wb.id);
      expect((await t.channels.decide(bToken, 'approve', wb.matchCode)).body).toEqual({ factor: 'email', status: 'approved' });
      expect((await statusOf(b, wb.id)).factors).toEqual({ email: 'approved', push: 'pending', totp: 'pending' });
      expect((await statusOf(a, wa.id)).factors).toEqual({ email: 'pending', push: 'pending', totp: 'pending' });
    });

    it("a code from A's authenticator, posted by B to B's withdrawal, is refused", async () => {
      const r = await b.client.post(`/v1/withdrawals/${wb.id}/totp`, { code: await authenticatorCode(a.totpSecret, 1) });
      expect(answer(r)).toBe('422 invalid_code');
      expect((await statusOf(b, wb.id)).factors.totp).toBe('pending');
    });

    it("A asking for B's withdrawal (GET, /totp, /cancel) gets 404 not_found, never 403, and changes nothing", async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      for (const id of [wb.id, unknown]) {
        expect(answer(await a.client.get(`/v1/withdrawals/${id}`))).toBe('404 not_found');
        expect(answer(await a.client.post(`/v1/withdrawals/${id}/totp`, { code: await authenticatorCode(a.totpSecret, 1) }))).toBe('404 not_found');
        expect(answer(await a.client.post(`/v1/withdrawals/${id}/cancel`))).toBe('404 not_found');
      }
      expect(answer(await a.client.get('/v1/withdrawals/not-a-uuid'))).toBe('404 not_found');
      const listed = await a.client.get('/v1/withdrawals');
      expect(listed.body.items.map((i: { id: string }) => i.id)).not.toContain(wb.id);
      const doc = await statusOf(b, wb.id);
      expect(doc.status).toBe('pending_confirmation');
      const [{ n }] = await t.env.admin.query('SELECT count(*)::int AS n FROM totp_failures WHERE withdrawal_id = $1 AND user_id = $2', [
        wb.id,
        a.id,
      ]);
      expect(n).toBe(0);
    });

    it("B replaying A's Idempotency-Key gets a withdrawal of B's own, never A's status document or match code", async () => {
      const key = `shared-key-${randomBytes(4).toString('hex')}`;
      const mine = await a.client.post('/v1/withdrawals', { addressId: a.addressId, amount: '0.05' }, { 'idempotency-key': key });
      expect(mine.status).toBe(202);
      const theirs = await b.client.post('/v1/withdrawals', { addressId: a.addressId, amount: '0.05' }, { 'idempotency-key': key });
      expect(answer(theirs)).toBe('422 address_not_whitelisted');
      const own = await b.client.post('/v1/withdrawals', { addressId: b.addressId, amount: '0.05' }, { 'idempotency-key': key });
      expect(own.status).toBe(202);
      expect(own.body.id).not.toBe(mine.body.id);
      expect(own.body.address).toBe(b.address);
    });
  });

  it('a token is single use: a second approve, a later deny and the page all answer token_invalid / 410', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c);
    const token = await t.channels.emailToken(c, w.id);
    expect((await t.channels.decide(token, 'approve', w.matchCode)).status).toBe(200);
    expect(answer(await t.channels.decide(token, 'approve', w.matchCode))).toBe('410 token_invalid');
    expect(answer(await t.channels.decide(token, 'deny'))).toBe('410 token_invalid');
    expect((await t.channels.openPage(token)).status).toBe(410);
    const doc = await statusOf(c, w.id);
    expect([doc.status, doc.factors.email]).toEqual(['pending_confirmation', 'approved']);
  });

  it('20 concurrent approvals with one token: exactly one 200, the rest 410 token_invalid', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c);
    const token = await t.channels.pushToken(c, w.id);
    const answers = await Promise.all(Array.from({ length: 20 }, () => t.channels.decide(token, 'approve', w.matchCode)));
    expect(tally(answers.map(answer))).toEqual({ '200': 1, '410 token_invalid': 19 });
    const [{ n }] = await t.env.admin.query(`SELECT count(*)::int AS n FROM audit_events WHERE withdrawal_id = $1 AND event = 'factor_approved'`, [
      w.id,
    ]);
    expect(n).toBe(1);
  });

  it('an email token is token_invalid once its withdrawal is denied, cancelled or posted', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '3', devices: 2 });

    // Denied (five wrong TOTP codes lock the factor).
    const denied = await withdrawal(c);
    const deniedToken = await t.channels.emailToken(c, denied.id);
    for (let i = 0; i < 5; i++) await c.client.post(`/v1/withdrawals/${denied.id}/totp`, { code: i % 2 ? '000000' : '999999' });
    expect((await statusOf(c, denied.id)).status).toBe('denied');
    expect(answer(await t.channels.decide(deniedToken, 'approve', denied.matchCode))).toBe('410 token_invalid');
    expect((await t.channels.openPage(deniedToken)).status).toBe(410);

    // Cancelled by the customer.
    const cancelled = await withdrawal(c);
    const cancelledToken = await t.channels.emailToken(c, cancelled.id);
    expect((await c.client.post(`/v1/withdrawals/${cancelled.id}/cancel`)).body.status).toBe('cancelled');
    expect(answer(await t.channels.decide(cancelledToken, 'approve', cancelled.matchCode))).toBe('410 token_invalid');

    // Posted: the second device's push token is left over and must not work any more.
    const posted = await withdrawal(c);
    await t.channels.approveEmail(c, posted.id, posted.matchCode);
    await t.channels.approvePush(c, posted.id, posted.matchCode);
    expect((await t.channels.submitTotp(c, posted.id, 1)).status).toBe(200);
    expect((await statusOf(c, posted.id)).status).toBe('posted');
    const leftover = await t.channels.pushToken(c, posted.id, 1);
    expect(answer(await t.channels.decide(leftover, 'deny'))).toBe('410 token_invalid');
    expect(answer(await t.channels.decide(leftover, 'approve', posted.matchCode))).toBe('410 token_invalid');
    expect((await statusOf(c, posted.id)).status).toBe('posted');
    expect((await c.client.get('/v1/me/security')).status).toBe(200);
    expect((await c.client.post('/v1/withdrawals', { addressId: c.addressId, amount: '0.01' }, { 'idempotency-key': 'after-posted' })).status).toBe(
      202,
    );
  });

  it('random and garbage tokens are token_invalid (malformed ones validation_failed), and the page is 410', async () => {
    const garbage = [
      randomBytes(32).toString('base64url'),
      randomBytes(16).toString('hex'),
      "' OR 1=1; --xxxxxxxxxxxxxxxx",
      '../../../../etc/passwd%00aaaa',
      'A'.repeat(200),
    ];
    for (const token of garbage) {
      expect(answer(await t.channels.decide(token, 'approve', '42'))).toBe('410 token_invalid');
      expect(answer(await t.channels.decide(token, 'deny'))).toBe('410 token_invalid');
    }
    for (const token of ['', 'short', 'A'.repeat(201)]) {
      expect(['400 validation_failed', '410 token_invalid']).toContain(answer(await t.channels.decide(token, 'approve', '42')));
    }
    expect(
      answer(
        await anonymous.post('/v1/confirmations', {
          token: randomBytes(32).toString('base64url'),
          decision: 'approve',
          matchCode: '42',
          factor: 'totp',
        }),
      ),
    ).toBe('400 validation_failed');
    expect(answer(await anonymous.post('/v1/confirmations', { token: randomBytes(32).toString('base64url'), decision: 'maybe' }))).toBe(
      '400 validation_failed',
    );
    expect((await fetch(`${t.suite.baseUrl}/confirm/${randomBytes(32).toString('base64url')}`)).status).toBe(410);
  });

  it('an email-verification token is not a confirmation token, and a confirmation token does not verify an email', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c);
    const newEmail = `${c.id}-new@example.test`;
    const totpCode = await authenticatorCode(c.totpSecret, 1);
    expect((await c.client.call('PUT', '/v1/me/email', { body: { email: newEmail, totpCode } })).status).toBe(202);
    const verification = await t.env.smtp.waitFor((m) => sentTo(m, newEmail) && /Verify/.test(m.subject ?? ''));
    const verifyToken = tokenOf(linkIn(verification.text ?? '', 'verify-email'));
    expect(answer(await t.channels.decide(verifyToken, 'approve', w.matchCode))).toBe('410 token_invalid');

    const confirmToken = await t.channels.emailToken(c, w.id);
    expect(answer(await anonymous.post('/v1/email-verifications', { token: confirmToken }))).toBe('410 token_invalid');
    expect((await c.client.get('/v1/me/security')).body.email.address).toBe(c.email);
    expect((await statusOf(c, w.id)).factors.email).toBe('pending');
  });

  it('approving the email factor never approves push: each token counts for its own factor only', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c);
    const emailToken = await t.channels.emailToken(c, w.id);
    expect((await t.channels.decide(emailToken, 'approve', w.matchCode)).body).toEqual({ factor: 'email', status: 'approved' });
    expect((await statusOf(c, w.id)).factors).toEqual({ email: 'approved', push: 'pending', totp: 'pending' });
    expect((await t.channels.submitTotp(c, w.id, 1)).status).toBe(200);
    const doc = await statusOf(c, w.id);
    expect([doc.status, doc.factors.push]).toEqual(['pending_confirmation', 'pending']);
    expect(await transfersOf(t.env, w.id)).toEqual({ pending: 1 });
  });

  it('the raw token is stored nowhere (no table, no Redis key); only its SHA-256 is, in challenges and challenge_tokens', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c);
    const emailToken = await t.channels.emailToken(c, w.id);
    const pushToken = await t.channels.pushToken(c, w.id);
    await t.channels.decide(emailToken, 'approve', w.matchCode);
    await t.channels.decide(pushToken, 'deny');
    await t.channels.waitForStatus(c, w.id, 'denied');
    // Give the outbox relay and the notification worker time to write whatever they write.
    await t.env.smtp.waitFor((m) => sentTo(m, c.email) && /stopped/.test(m.subject ?? ''));

    for (const token of [emailToken, pushToken]) {
      expect(await tablesContaining(t.env, token)).toEqual([]);
      expect(await redisKeysContaining(t.env, token)).toEqual([]);
      const sha = createHash('sha256').update(token).digest();
      const rows = await t.env.admin.query('SELECT factor FROM challenges WHERE token_hash = $1', [sha]);
      expect(rows).toHaveLength(1);
      // The challenge's current hash, and every hash it was sent with (a re-send keeps earlier links working).
      expect((await tablesContaining(t.env, sha.toString('hex'))).sort()).toEqual(['challenge_tokens', 'challenges']);
    }
    expect(await balanceOf(c)).toEqual({ available: '1', held: '0' });
  });

  describe('bearer JWTs', () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = () => Math.floor(Date.now() / 1000);

    it('answers 401 unauthorized to alg none, another key, an HS256 token keyed with the public key, an expired token, no exp, no sub, and no token', async () => {
      const c = await enrolCustomer(t.env, t.suite.baseUrl);
      const publicPem = t.env.jwtKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const bad = [
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: c.id, roles: ['operator'], iat: now(), exp: now() + 600 })}.`,
        await new SignJWT({ roles: ['operator'] })
          .setProtectedHeader({ alg: 'ES256' })
          .setSubject(c.id)
          .setExpirationTime('1h')
          .sign(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
        // Algorithm confusion: the public key used as an HMAC secret.
        await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(c.id).setExpirationTime('1h').sign(new TextEncoder().encode(publicPem)),
        await t.env.sign({}, { sub: c.id, issuedAt: now() - 7200, lifetime: now() - 3600 }),
        await t.env.sign({}, { sub: c.id }),
        await t.env.sign({}, { lifetime: '1h' }),
      ];
      for (const jwt of bad) {
        expect(answer(await new ApiClient(t.suite.baseUrl, jwt).get('/v1/me/security'))).toBe('401 unauthorized');
        expect(answer(await new ApiClient(t.suite.baseUrl, jwt).get('/v1/admin/audit'))).toBe('401 unauthorized');
      }
      expect(answer(await anonymous.get('/v1/withdrawals'))).toBe('401 unauthorized');
      expect(
        answer(await anonymous.call('GET', '/v1/me/balances', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } })),
      ).toBe('401 unauthorized');
    });

    it("answers 403 forbidden to a customer's token on operator endpoints, and the operation does not happen", async () => {
      const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
      const before = await balanceOf(c);
      expect(answer(await c.client.get('/v1/admin/audit'))).toBe('403 forbidden');
      expect(answer(await c.client.get(`/v1/admin/audit?userId=${c.id}`))).toBe('403 forbidden');
      expect(answer(await c.client.post('/v1/admin/deposits', { userId: c.id, asset: 'BTC', amount: '100', reference: 'self-credit' }))).toBe(
        '403 forbidden',
      );
      expect(answer(await c.client.post(`/v1/admin/users/${c.id}/unfreeze`))).toBe('403 forbidden');
      expect(answer(await c.client.post(`/v1/admin/users/${c.id}/freeze`, { reason: 'x' }))).toBe('403 forbidden');
      expect(await balanceOf(c)).toEqual(before);
      // A roles claim that is not a list of strings grants nothing.
      const odd = await t.env.sign({ roles: 'operator' }, { sub: c.id, lifetime: '1h' });
      expect(answer(await new ApiClient(t.suite.baseUrl, odd).get('/v1/admin/audit'))).toBe('403 forbidden');
    });
  });
});
