import { authenticatorCode, enrolCustomer, TestCustomer } from './support/customer-factory';
import {
  assertStillStep,
  AttackCustomer,
  auditOf,
  balanceOf,
  codeForStep,
  enrolOnSteps,
  freshStep,
  problemCode,
  statusOf,
  tally,
  transfersOf,
} from './support/attack-kit';
import { sentTo } from './support/smtp-catcher';
import { useSuite } from './support/use-suite';

/**
 * Attacks on the TOTP factor through the public API, against the three apps running on real Postgres and
 * Redis, with codes from oathtool. Each 30-second step is usable once per customer, so customers are
 * enrolled on chosen steps (attack-kit enrolOnSteps) to keep the steps a test needs free.
 */
describe('TOTP: replay, drift window and guessing limits', () => {
  const t = useSuite();

  /** Codes that are certainly wrong for `secret` within ±2 steps of `step`. */
  function wrongCodes(secret: string, step: number, n: number): string[] {
    const near = new Set([-2, -1, 0, 1, 2].map((d) => codeForStep(secret, step + d)));
    const out: string[] = [];
    for (let i = 0; out.length < n; i++) {
      const c = String((123457 + i * 7919) % 1_000_000).padStart(6, '0');
      if (!near.has(c)) out.push(c);
    }
    return out;
  }

  async function withdrawal(c: TestCustomer, amount = '0.01') {
    const r = await t.channels.requestWithdrawal(c, amount);
    expect([r.status, r.body.detail]).toEqual([202, undefined]);
    return r.body as { id: string; matchCode: string; expiresAt: string };
  }

  it('20 concurrent submissions of one valid code: exactly one acceptance, 19 code_reused', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c);
    const code = await authenticatorCode(c.totpSecret, 1); // enrolment burnt steps now-1 and now
    const answers = await Promise.all(Array.from({ length: 20 }, () => c.client.post(`/v1/withdrawals/${w.id}/totp`, { code })));
    const outcomes = tally(answers.map((a) => `${a.status} ${problemCode(a) ?? ''}`.trim()));
    expect(outcomes).toEqual({ '200': 1, '422 code_reused': 19 });
    expect((await statusOf(c, w.id)).factors.totp).toBe('approved');
  });

  it('one valid code raced over five withdrawals of the customer: one acceptance, four code_reused, one step used', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const ws = [];
    for (let i = 0; i < 5; i++) ws.push(await withdrawal(c));
    const code = await authenticatorCode(c.totpSecret, 1);
    const answers = await Promise.all(ws.map((w) => c.client.post(`/v1/withdrawals/${w.id}/totp`, { code })));
    const outcomes = tally(answers.map((a) => `${a.status} ${problemCode(a) ?? ''}`.trim()));
    expect(outcomes).toEqual({ '200': 1, '422 code_reused': 4 });
    const approved = [];
    for (const w of ws) if ((await statusOf(c, w.id)).factors.totp === 'approved') approved.push(w.id);
    expect(approved).toEqual([ws[answers.findIndex((a) => a.status === 200)].id]);
    const [{ reuses }] = await t.env.admin.query(
      `SELECT count(*)::int AS reuses FROM audit_events WHERE event = 'totp_code_reused' AND user_id = $1`,
      [c.id],
    );
    expect(reuses).toBe(4);
  });

  it('a good code for a factor approved already is accepted and used up: it cannot then confirm another withdrawal', async () => {
    const S = await freshStep(20_000);
    const c = await enrolOnSteps(t.env, t.suite.baseUrl, { deposit: '1', activationStep: S - 1, addressStep: S });
    const [first, second] = [await withdrawal(c), await withdrawal(c)];
    await freshStep(30_000); // the next step, S + 1: the window's S + 1 and S + 2 are free
    const submit = (id: string, step: number) => c.client.post(`/v1/withdrawals/${id}/totp`, { code: codeForStep(c.totpSecret, step) });
    expect((await submit(first.id, S + 1)).status).toBe(200);
    expect((await submit(first.id, S + 2)).status).toBe(200); // the factor stays approved by S + 1
    const replay = await submit(second.id, S + 2);
    assertStillStep(S + 1, 'a second code for an approved factor');
    expect([replay.status, problemCode(replay)]).toEqual([422, 'code_reused']);
    expect((await statusOf(c, first.id)).factors.totp).toBe('approved');
    expect((await statusOf(c, second.id)).factors.totp).toBe('pending');
  });

  it('20 concurrent submissions of the deciding code: posted once, never two acceptances', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c, '0.25');
    await t.channels.approveEmail(c, w.id, w.matchCode);
    await t.channels.approvePush(c, w.id, w.matchCode);
    const code = await authenticatorCode(c.totpSecret, 1);
    const answers = await Promise.all(Array.from({ length: 20 }, () => c.client.post(`/v1/withdrawals/${w.id}/totp`, { code })));
    const outcomes = tally(answers.map((a) => `${a.status} ${problemCode(a) ?? ''}`.trim()));
    expect(outcomes['200']).toBe(1);
    for (const key of Object.keys(outcomes)) expect(['200', '422 code_reused', '409 withdrawal_not_pending']).toContain(key);
    expect((await statusOf(c, w.id)).status).toBe('posted');
    expect(await transfersOf(t.env, w.id)).toEqual({ pending: 1, post_pending: 1 });
    expect(await balanceOf(c)).toEqual({ available: '0.75', held: '0' });
  });

  it('accepts codes of steps T-1, T and T+1; refuses T-2 and T+2 as invalid_code (oathtool --now)', async () => {
    const S = await freshStep(20_000);
    // Each customer burns two of the three window steps at enrolment and keeps the third free.
    const [minus, zero, plus, far] = await Promise.all([
      enrolOnSteps(t.env, t.suite.baseUrl, { deposit: '1', activationStep: S, addressStep: S + 1 }),
      enrolOnSteps(t.env, t.suite.baseUrl, { deposit: '1', activationStep: S - 1, addressStep: S + 1 }),
      enrolOnSteps(t.env, t.suite.baseUrl, { deposit: '1', activationStep: S - 1, addressStep: S }),
      enrolOnSteps(t.env, t.suite.baseUrl, { deposit: '1', activationStep: S - 1, addressStep: S }),
    ]);
    const [wm, wz, wp, wf] = await Promise.all([withdrawal(minus), withdrawal(zero), withdrawal(plus), withdrawal(far)]);
    const submit = (c: AttackCustomer, id: string, step: number) =>
      c.client.post(`/v1/withdrawals/${id}/totp`, { code: codeForStep(c.totpSecret, step) });
    const [am, az, ap, aMinus2, aPlus2] = await Promise.all([
      submit(minus, wm.id, S - 1),
      submit(zero, wz.id, S),
      submit(plus, wp.id, S + 1),
      submit(far, wf.id, S - 2),
      submit(far, wf.id, S + 2),
    ]);
    assertStillStep(S, 'drift window submissions');
    expect([am.status, az.status, ap.status]).toEqual([200, 200, 200]);
    expect([am.body.factors.totp, az.body.factors.totp, ap.body.factors.totp]).toEqual(['approved', 'approved', 'approved']);
    expect([aMinus2.status, problemCode(aMinus2)]).toEqual([422, 'invalid_code']);
    expect([aPlus2.status, problemCode(aPlus2)]).toEqual([422, 'invalid_code']);
    expect((await statusOf(far, wf.id)).factors.totp).toBe('pending');
  });

  it('the code that activated the enrolment cannot confirm a withdrawal (code_reused), nor can the address code', async () => {
    const S = await freshStep(20_000);
    // Activation with the next step's code (an authenticator a little fast), so it is still inside the window now.
    const c = await enrolOnSteps(t.env, t.suite.baseUrl, { deposit: '1', activationStep: S + 1, addressStep: S });
    const w = await withdrawal(c);
    const activation = await c.client.post(`/v1/withdrawals/${w.id}/totp`, { code: c.activationCode });
    const address = await c.client.post(`/v1/withdrawals/${w.id}/totp`, { code: c.addressCode });
    assertStillStep(S, 'activation code replay');
    expect([activation.status, problemCode(activation)]).toEqual([422, 'code_reused']);
    expect([address.status, problemCode(address)]).toEqual([422, 'code_reused']);
    expect((await statusOf(c, w.id)).factors.totp).toBe('pending');
  });

  it('a replayed code is refused, written to the audit log and mailed to the customer as a security alert', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const [w1, w2] = [await withdrawal(c), await withdrawal(c)];
    const code = await authenticatorCode(c.totpSecret, 1);
    expect((await c.client.post(`/v1/withdrawals/${w1.id}/totp`, { code })).status).toBe(200);
    const replay = await c.client.post(`/v1/withdrawals/${w2.id}/totp`, { code });
    expect([replay.status, problemCode(replay)]).toEqual([422, 'code_reused']);
    expect((await statusOf(c, w2.id)).factors.totp).toBe('pending');

    const audit = await auditOf(t.env, t.suite.baseUrl, { userId: c.id });
    const reused = audit.filter((e) => e.event === 'totp_code_reused');
    expect(reused).toHaveLength(1);
    expect(reused[0]).toMatchObject({ userId: c.id, withdrawalId: w2.id });
    expect(JSON.stringify(audit)).not.toContain(code); // the code itself is never logged

    const alert = await t.env.smtp.waitFor((m) => sentTo(m, c.email) && /authenticator code was used twice/.test(m.subject ?? ''));
    expect(alert.text).toContain(w2.id);
  });

  describe('30 concurrent wrong guesses on one withdrawal', () => {
    let c: AttackCustomer;
    let w: { id: string };
    let answers: { status: number; code?: string }[];

    beforeAll(async () => {
      const S = await freshStep(10_000);
      c = await enrolOnSteps(t.env, t.suite.baseUrl, { deposit: '1' });
      w = await withdrawal(c, '0.4');
      const guesses = wrongCodes(c.totpSecret, S, 30);
      const raw = await Promise.all(guesses.map((code) => c.client.post(`/v1/withdrawals/${w.id}/totp`, { code })));
      answers = raw.map((a) => ({ status: a.status, code: problemCode(a) }));
    });

    it('counts at most 5 failures: the factor is locked, the withdrawal denied, the hold released', async () => {
      const [{ failures }] = await t.env.admin.query('SELECT count(*)::int AS failures FROM totp_failures WHERE withdrawal_id = $1', [w.id]);
      expect(failures).toBe(5);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(0);
      expect(answers.filter((a) => a.code === 'invalid_code')).toHaveLength(4);
      const doc = await statusOf(c, w.id);
      expect(doc.status).toBe('denied');
      expect(doc.factors.totp).toBe('locked');
      expect(doc.reason).toBe('totp_locked');
      expect(await balanceOf(c)).toEqual({ available: '1', held: '0' });
      expect(await transfersOf(t.env, w.id)).toEqual({ pending: 1, void_pending: 1 });
    });

    it('answers 423 too_many_attempts to every guess past the fifth, and to a correct code afterwards', async () => {
      const after = answers.filter((a) => a.code !== 'invalid_code');
      expect(tally(after.map((a) => `${a.status} ${a.code}`))).toEqual({ '423 too_many_attempts': 26 });
      const correct = await c.client.post(`/v1/withdrawals/${w.id}/totp`, { code: await authenticatorCode(c.totpSecret, 1) });
      expect([correct.status, problemCode(correct)]).toEqual([423, 'too_many_attempts']);
    });
  });

  it('per customer: at most 10 failures per 15 minutes across withdrawals, then 423 with Retry-After even for a correct code', async () => {
    const S = await freshStep(10_000);
    const c = await enrolOnSteps(t.env, t.suite.baseUrl, { deposit: '1' });
    const ws = [await withdrawal(c), await withdrawal(c), await withdrawal(c)];
    const untouched = await withdrawal(c);
    const guesses = wrongCodes(c.totpSecret, S, 30);
    const raw = await Promise.all(guesses.map((code, i) => c.client.post(`/v1/withdrawals/${ws[i % 3].id}/totp`, { code })));
    const outcomes = tally(raw.map((a) => `${a.status} ${problemCode(a)}`));
    for (const key of Object.keys(outcomes)) {
      expect(['422 invalid_code', '423 too_many_attempts', '409 withdrawal_not_pending']).toContain(key);
    }
    const [{ failures }] = await t.env.admin.query('SELECT count(*)::int AS failures FROM totp_failures WHERE user_id = $1', [c.id]);
    expect(failures).toBe(10);
    const perWithdrawal: { n: number }[] = await t.env.admin.query(
      'SELECT count(*)::int AS n FROM totp_failures WHERE user_id = $1 GROUP BY withdrawal_id',
      [c.id],
    );
    for (const { n } of perWithdrawal) expect(n).toBeLessThanOrEqual(5);

    const correct = await c.client.post(`/v1/withdrawals/${untouched.id}/totp`, { code: await authenticatorCode(c.totpSecret, 1) });
    expect([correct.status, problemCode(correct)]).toEqual([423, 'too_many_attempts']);
    const retryAfter = Number(correct.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect((await statusOf(c, untouched.id)).factors.totp).toBe('pending');

    // Another customer is not affected by this one's lockout.
    const other = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const ow = await withdrawal(other);
    expect((await t.channels.submitTotp(other, ow.id, 1)).status).toBe(200);
  });
});
