import { generateKeyPairSync } from 'node:crypto';
import { createApiApp } from '../apps/api/src/api-app';
import { ApiClient } from './support/api-client';
import { balanceOf, problemCode, statusOf, transfersOf } from './support/attack-kit';
import { authenticatorCode, enrolCustomer, EnrolledCustomer } from './support/customer-factory';
import { connectAs, probe, refusal } from './support/db-roles';
import { approveWithPasskey, passkeyOptions, registerPasskey, SoftwareAuthenticator } from './support/passkey-authenticator';
import { useSuite } from './support/use-suite';

/**
 * Passkeys bound to the withdrawal (shared/API.md, "Customer: passkeys"): for a customer with a passkey the
 * push factor is approved only by a user-verified assertion over a challenge derived from this withdrawal's
 * digest and its push challenge. Each attack below ends with nothing posted.
 */
describe('passkey attacks', () => {
  const t = useSuite({ PUBLIC_BASE_URL: 'http://localhost:{port}', WEBAUTHN_RP_ID: 'localhost', PASSKEY_REQUIRED_ABOVE: 'BTC=1' });
  const answer = (r: { status: number; body: unknown }) => `${r.status} ${problemCode(r as never) ?? ''}`.trim();

  /** A customer whose push factor needs this software passkey. */
  async function customerWithPasskey(deposit = '5'): Promise<EnrolledCustomer & { passkey: SoftwareAuthenticator }> {
    const passkey = new SoftwareAuthenticator(t.suite.baseUrl);
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit, passkey });
    return { ...customer, passkey };
  }

  /**
   * A withdrawal with its email and TOTP confirmations given: only the push factor is missing, so an
   * attack that got the push approved would post it. Answers its push token and match code.
   */
  async function armed(customer: EnrolledCustomer, amount = '0.5', totp = true) {
    const w = (await t.channels.requestWithdrawal(customer, amount)).body;
    expect(w.status).toBe('pending_confirmation');
    expect((await t.channels.approveEmail(customer, w.id, w.matchCode)).status).toBe(200);
    if (totp) expect((await t.channels.submitTotp(customer, w.id, 1)).status).toBe(200);
    const token = await t.channels.pushToken(customer, w.id);
    return { id: w.id as string, matchCode: w.matchCode as string, token };
  }

  async function assertNothingPosted(customer: EnrolledCustomer, withdrawalId: string, deposit = '5') {
    expect((await statusOf(customer, withdrawalId)).status).not.toBe('posted');
    expect((await transfersOf(t.env, withdrawalId)).post_pending ?? 0).toBe(0);
    const balance = await balanceOf(customer);
    expect(Number(balance.available) + Number(balance.held)).toBe(Number(deposit));
  }

  it('an assertion for withdrawal A sent for withdrawal B is refused, and denies B', async () => {
    const victim = await customerWithPasskey();
    const a = (await t.channels.requestWithdrawal(victim, '0.1')).body;
    const aToken = await t.channels.pushToken(victim, a.id);
    const aChallenge = (await passkeyOptions(t.suite.baseUrl, aToken)).body.challenge;
    const b = await armed(victim, '0.2');
    const r = await approveWithPasskey(t.suite.baseUrl, b.token, b.matchCode, victim.passkey, { challenge: aChallenge });
    expect(answer(r)).toBe('422 passkey_invalid');
    expect((await statusOf(victim, b.id)).factors.push).toBe('denied');
    await assertNothingPosted(victim, b.id);
  });

  it('an assertion made before the amount was changed is refused: the challenge is recomputed from the withdrawal', async () => {
    const victim = await customerWithPasskey();
    const w = await armed(victim, '0.5');
    const { challenge } = (await passkeyOptions(t.suite.baseUrl, w.token)).body;
    const signed = victim.passkey.assert(challenge);
    await t.env.admin.query('UPDATE withdrawals SET amount = 0.9 WHERE id = $1', [w.id]);
    const r = await new ApiClient(t.suite.baseUrl).post('/v1/confirmations', {
      token: w.token,
      decision: 'approve',
      matchCode: w.matchCode,
      passkey: signed,
    });
    expect(answer(r)).toBe('422 passkey_invalid');
    await assertNothingPosted(victim, w.id);
  });

  it('an assertion from a phishing origin is refused', async () => {
    const victim = await customerWithPasskey();
    const w = await armed(victim);
    const r = await approveWithPasskey(t.suite.baseUrl, w.token, w.matchCode, victim.passkey, { origin: 'https://countersign-login.example' });
    expect(answer(r)).toBe('422 passkey_invalid');
    expect((await statusOf(victim, w.id)).status).toBe('denied');
    await assertNothingPosted(victim, w.id);
  });

  it('an assertion without user verification is refused', async () => {
    const victim = await customerWithPasskey();
    const w = await armed(victim);
    const r = await approveWithPasskey(t.suite.baseUrl, w.token, w.matchCode, victim.passkey, { userVerified: false });
    expect(answer(r)).toBe('422 passkey_invalid');
    await assertNothingPosted(victim, w.id);
  });

  it('a signature counter that went back (a cloned authenticator) is refused', async () => {
    const victim = await customerWithPasskey();
    // The real authenticator approves one withdrawal's push (its counter is recorded) …
    const first = await armed(victim, '0.1', false);
    const counter = victim.passkey.counter + 1;
    expect(answer(await approveWithPasskey(t.suite.baseUrl, first.token, first.matchCode, victim.passkey, { counter }))).toBe('200');
    expect((await victim.client.post(`/v1/withdrawals/${first.id}/cancel`)).status).toBe(200);
    // … and a clone, with the same key but its counter behind, approves the next.
    const w = await armed(victim, '0.2');
    const r = await approveWithPasskey(t.suite.baseUrl, w.token, w.matchCode, victim.passkey, { counter: counter - 1 });
    expect(answer(r)).toBe('422 passkey_invalid');
    await assertNothingPosted(victim, w.id);
    // Postgres keeps the counter from going back whatever the confirmation service's code does.
    const confirmer = await connectAs(t.env, 'confirmer');
    try {
      const back = await refusal(confirmer.query('UPDATE passkeys SET counter = 0 WHERE user_id = $1', [victim.id]));
      expect(back).toMatchObject({ code: '23514', constraint: 'passkeys_counter_monotonic' });
    } finally {
      await confirmer.end();
    }
  });

  it("a signature by another key under the victim's credential id is refused", async () => {
    const victim = await customerWithPasskey();
    const w = await armed(victim);
    const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const r = await approveWithPasskey(t.suite.baseUrl, w.token, w.matchCode, victim.passkey, { signWith: forger.privateKey });
    expect(answer(r)).toBe('422 passkey_invalid');
    await assertNothingPosted(victim, w.id);
  });

  it("another customer's passkey does not approve the victim's withdrawal", async () => {
    const victim = await customerWithPasskey();
    const attacker = await customerWithPasskey('1');
    const w = await armed(victim);
    const r = await approveWithPasskey(t.suite.baseUrl, w.token, w.matchCode, attacker.passkey);
    expect(answer(r)).toBe('422 passkey_invalid');
    await assertNothingPosted(victim, w.id);
  });

  it("the API's database role can write no passkey, and cannot mark a factor as approved by one", async () => {
    const victim = await customerWithPasskey();
    const forged = new SoftwareAuthenticator(t.suite.baseUrl);
    const api = await connectAs(t.env, 'api');
    try {
      const insert = await refusal(
        api.query('INSERT INTO passkeys (user_id, credential_id, public_key, counter) VALUES ($1, $2, $3, 0)', [
          victim.id,
          forged.id,
          forged.coseKey(),
        ]),
      );
      expect(insert?.code).toBe('42501');
      expect((await refusal(api.query('UPDATE passkeys SET public_key = $2 WHERE user_id = $1', [victim.id, forged.coseKey()])))?.code).toBe('42501');
      expect((await refusal(api.query('UPDATE passkeys SET revoked_at = now() WHERE user_id = $1', [victim.id])))?.code).toBe('42501');
    } finally {
      await api.end();
    }
    const w = await armed(victim);
    const r = await approveWithPasskey(t.suite.baseUrl, w.token, w.matchCode, forged);
    expect(answer(r)).toBe('422 passkey_invalid');
    await assertNothingPosted(victim, w.id);
  });

  it('a stolen session without a TOTP code cannot register a passkey', async () => {
    const victim = await customerWithPasskey();
    const thief = new SoftwareAuthenticator(t.suite.baseUrl);
    expect(answer(await registerPasskey(victim.client, thief))).toBe('422 invalid_code');
    expect(answer(await registerPasskey(victim.client, thief, { totpCode: '000000' }))).toMatch(/^422 (invalid_code|code_reused)$/);
    // Nor by answering a challenge it made up: only the confirmation service's own challenge counts.
    const made = await victim.client.post('/v1/me/passkeys', { response: thief.register({ challenge: 'bWFkZS11cA' }), label: 'mine' });
    expect(answer(made)).toBe('422 passkey_invalid');
    expect((await victim.client.get('/v1/me/passkeys')).body).toHaveLength(1);
    const w = await armed(victim);
    expect(answer(await approveWithPasskey(t.suite.baseUrl, w.token, w.matchCode, thief))).toBe('422 passkey_invalid');
    await assertNothingPosted(victim, w.id);
  });

  it('a passkey registered after the withdrawal was requested never confirms it', async () => {
    const victim = await customerWithPasskey();
    // Through the API: the registration is a factor change, which ends the open withdrawal.
    const w = await armed(victim, '0.5', false);
    const late = new SoftwareAuthenticator(t.suite.baseUrl);
    expect(answer(await registerPasskey(victim.client, late, { totpCode: await authenticatorCode(victim.totpSecret, 1) }))).toBe('201');
    expect((await statusOf(victim, w.id)).status).toBe('denied');
    expect(answer(await approveWithPasskey(t.suite.baseUrl, w.token, w.matchCode, late))).toMatch(/^(410 token_invalid|422 passkey_invalid)$/);
    await assertNothingPosted(victim, w.id);

    // Written straight into Postgres, with nothing announced: still too young for a withdrawal requested before it.
    const other = await customerWithPasskey();
    const w2 = await armed(other);
    const planted = new SoftwareAuthenticator(t.suite.baseUrl);
    await t.env.admin.query('INSERT INTO passkeys (user_id, credential_id, public_key, counter, label) VALUES ($1, $2, $3, 0, $4)', [
      other.id,
      planted.id,
      planted.coseKey(),
      'planted',
    ]);
    expect(answer(await approveWithPasskey(t.suite.baseUrl, w2.token, w2.matchCode, planted))).toBe('422 passkey_invalid');
    await assertNothingPosted(other, w2.id);
  });

  it('an approval without an assertion is refused and changes nothing', async () => {
    const victim = await customerWithPasskey();
    const w = await armed(victim);
    const r = await t.channels.decide(w.token, 'approve', w.matchCode);
    expect(answer(r)).toBe('422 passkey_required');
    const doc = await statusOf(victim, w.id);
    expect([doc.status, doc.factors.push]).toEqual(['pending_confirmation', 'pending']);
    // The page's own form says the same, and the link stays usable.
    const form = await fetch(`${t.suite.baseUrl}/confirm/${w.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ decision: 'approve', matchCode: w.matchCode }).toString(),
    });
    expect(form.status).toBe(422);
    expect(await form.text()).toMatch(/passkey/i);
    expect((await statusOf(victim, w.id)).factors.push).toBe('pending');
    await assertNothingPosted(victim, w.id);
    // With the passkey it goes through: the same link, nothing used up by the refusals.
    expect(answer(await approveWithPasskey(t.suite.baseUrl, w.token, w.matchCode, victim.passkey))).toBe('200');
    await t.channels.waitForStatus(victim, w.id, 'posted');
  });

  it('PASSKEY_REQUIRED_ABOVE: above it a customer without a passkey gets 403 factor_not_enrolled, at creation and again before posting', async () => {
    const plain = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '5' });
    const over = await t.channels.requestWithdrawal(plain, '1.5');
    expect(answer(over)).toBe('403 factor_not_enrolled');
    expect(answer(await t.channels.requestWithdrawal(plain, '1'))).toBe('202');

    // An API instance without the policy (misconfigured, or not ours) accepts it; the confirmation service does not.
    const lax = await createApiApp(t.env.config({ PASSKEY_REQUIRED_ABOVE: '' }, 'api'), { logger: false });
    await lax.listen(0, '127.0.0.1');
    try {
      const laxClient = plain.client.as(await t.env.token(plain.id));
      const url = await lax.getUrl();
      const w = (
        await new ApiClient(url.replace('[::1]', '127.0.0.1'), laxClient.bearer).post(
          '/v1/withdrawals',
          { addressId: plain.addressId, amount: '1.5' },
          { 'idempotency-key': 'lax-1' },
        )
      ).body;
      expect(w.status).toBe('pending_confirmation');
      expect((await t.channels.approveEmail(plain, w.id, w.matchCode)).status).toBe(200);
      expect((await t.channels.submitTotp(plain, w.id, 1)).status).toBe(200);
      const push = await t.channels.approvePush(plain, w.id, w.matchCode);
      expect(answer(push)).toBe('422 passkey_required');
      await assertNothingPosted(plain, w.id);
    } finally {
      await lax.close();
    }
  });

  it("the ledger refuses (guard v5) to post a passkey customer's withdrawal whose push approval names none of its passkeys, whatever the code does", async () => {
    const victim = await customerWithPasskey();
    const stranger = await customerWithPasskey('1');
    const w = await armed(victim);
    const [{ id: challengeId }] = await t.env.admin.query(`SELECT id FROM challenges WHERE withdrawal_id = $1 AND factor = 'push'`, [w.id]);
    const [{ id: strangersPasskey }] = await t.env.admin.query('SELECT id FROM passkeys WHERE user_id = $1', [stranger.id]);
    const confirmer = await connectAs(t.env, 'confirmer');
    const approvePush = `UPDATE withdrawal_factors SET status = 'approved', digest = (SELECT digest FROM withdrawals WHERE id = $1), decided_at = now(),
                                evidence = 'forged', challenge_id = $2 WHERE withdrawal_id = $1 AND factor = 'push'`;
    const post = `INSERT INTO ledger_transfers (kind, pending_id) SELECT 'post_pending', id FROM ledger_transfers WHERE withdrawal_id = $1 AND kind = 'pending'`;
    try {
      // A confirmation service that forgot the passkey …
      const without = await probe(confirmer, async () => {
        await confirmer.query(approvePush, [w.id, challengeId]);
        return refusal(confirmer.query(post, [w.id]));
      });
      expect(without).toMatchObject({ code: '23514', constraint: 'ledger_passkey_required' });
      // … or recorded another customer's.
      const strangers = await probe(confirmer, async () => {
        await confirmer.query(approvePush, [w.id, challengeId]);
        await confirmer.query(
          `UPDATE withdrawal_factors SET passkey_id = $2, passkey_assertion = '{}' WHERE withdrawal_id = $1 AND factor = 'push'`,
          [w.id, strangersPasskey],
        );
        return refusal(confirmer.query(post, [w.id]));
      });
      expect(strangers).toMatchObject({ code: '23514', constraint: 'ledger_passkey_required' });
    } finally {
      await confirmer.end();
    }
    await assertNothingPosted(victim, w.id);
  });

  it('nothing was posted in this file but the one approved with the passkey', async () => {
    const [{ n }] = await t.env.admin.query("SELECT count(*)::int AS n FROM ledger_transfers WHERE kind = 'post_pending'");
    expect(n).toBe(1);
  });
});
