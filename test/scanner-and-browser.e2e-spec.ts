import { ApiClient } from './support/api-client';
import { balanceOf, problemCode, statusOf, transfersOf } from './support/attack-kit';
import { decideInBrowser, useChromium } from './support/browser';
import { enrolCustomer, linkIn, TestCustomer } from './support/customer-factory';
import { useSuite } from './support/use-suite';

const answer = (r: { status: number; headers: Headers; body: any }) => `${r.status} ${problemCode(r) ?? ''}`.trim();

/**
 * Mail scanners open links, send HEAD, and sometimes script a POST; none of that may confirm anything or
 * use the link up. The customer then confirms in Debian's Chromium by picking the match code.
 */
describe('number matching against link scanners, with the customer in Chromium', () => {
  const t = useSuite();
  const chromium = useChromium();

  async function withdrawal(c: TestCustomer, amount = '0.1') {
    const r = await t.channels.requestWithdrawal(c, amount);
    expect([r.status, r.body.detail]).toEqual([202, undefined]);
    return r.body as { id: string; matchCode: string };
  }

  async function wrongPicksOf(withdrawalId: string, factor: string): Promise<number> {
    const [row] = await t.env.admin.query('SELECT wrong_match_picks FROM withdrawal_factors WHERE withdrawal_id = $1 AND factor = $2', [
      withdrawalId,
      factor,
    ]);
    return row.wrong_match_picks;
  }

  it('GET, HEAD, a scripted POST without the match code and a headless click on Approve change nothing; the customer then approves with the same link', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c);
    const mail = await t.channels.challengeEmail(c, w.id);
    const link = linkIn(mail.text ?? '', 'confirm');
    const token = link.slice(link.lastIndexOf('/') + 1);
    const scanner = { 'user-agent': 'Mozilla/5.0 (compatible; SafeLinks-Scanner/2.0)' };

    for (let i = 0; i < 3; i++) expect((await fetch(link, { headers: scanner })).status).toBe(200);
    const head = await fetch(link, { method: 'HEAD', headers: scanner });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(link, { method: 'POST', headers: scanner })).status).toBeGreaterThanOrEqual(400);
    const scripted = await new ApiClient(t.suite.baseUrl).post('/v1/confirmations', { token, decision: 'approve' });
    expect(answer(scripted)).toBe('422 match_code_wrong');
    // A scanner that renders the page in a real browser and presses Approve without picking.
    const rendered = await decideInBrowser(chromium.browser, link, 'approve');
    expect(rendered.status).toBe(200);
    expect(rendered.result).not.toMatch(/Approved/);

    const doc = await statusOf(c, w.id);
    expect([doc.status, doc.factors.email]).toEqual(['pending_confirmation', 'pending']);
    expect(await wrongPicksOf(w.id, 'email')).toBe(0); // a missing pick uses nothing up
    const [{ consumed }] = await t.env.admin.query(
      `SELECT count(*)::int AS consumed FROM challenges WHERE withdrawal_id = $1 AND consumed_at IS NOT NULL`,
      [w.id],
    );
    expect(consumed).toBe(0);

    const customer = await decideInBrowser(chromium.browser, link, 'approve', w.matchCode);
    expect(customer.choices).toContain(w.matchCode);
    expect(customer.result).toMatch(/^Approved/);
    expect((await statusOf(c, w.id)).factors.email).toBe('approved');
    expect((await t.channels.openPage(token)).status).toBe(410);
  });

  it('the push link works the same way in the browser: pick, Approve, "Approved"', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c);
    const push = await t.channels.push(c, w.id);
    const result = await decideInBrowser(chromium.browser, String(push.payload.url), 'approve', w.matchCode);
    expect(result.result).toMatch(/^Approved/);
    expect((await statusOf(c, w.id)).factors.push).toBe('approved');
  });

  it('three wrong picks deny the factor and the withdrawal; the hold is released and the right code is then too late', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c, '0.3');
    const token = await t.channels.emailToken(c, w.id);
    const { choices } = await t.channels.openPage(token);
    const decoys = choices.filter((x) => x !== w.matchCode);
    const outsider = ['10', '11', '12', '13'].find((x) => !choices.includes(x))!;
    const picks = [decoys[0], decoys[1], outsider];
    const answers = [];
    for (const pick of picks) answers.push(answer(await t.channels.decide(token, 'approve', pick)));
    expect(answers[0]).toBe('422 match_code_wrong');
    for (const a of answers) expect(['422 match_code_wrong', '410 token_invalid']).toContain(a);

    const doc = await statusOf(c, w.id);
    expect([doc.status, doc.factors.email]).toEqual(['denied', 'denied']);
    expect(await balanceOf(c)).toEqual({ available: '1', held: '0' });
    expect(await transfersOf(t.env, w.id)).toEqual({ pending: 1, void_pending: 1 });
    expect(answer(await t.channels.decide(token, 'approve', w.matchCode))).toBe('410 token_invalid');
  });

  it('whoever holds a link cannot get an approval by trying the offered choices one after another', async () => {
    // Push fatigue or a stolen mailbox: the page offers three numbers; trying them in turn must not work.
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c);
    const token = await t.channels.pushToken(c, w.id);
    const { choices } = await t.channels.openPage(token);
    expect(choices).toHaveLength(3);
    const order = [...choices.filter((x) => x !== w.matchCode), w.matchCode];
    const answers = [];
    for (const pick of order) answers.push(answer(await t.channels.decide(token, 'approve', pick)));
    expect(answers).not.toContain('200');
    expect((await statusOf(c, w.id)).factors.push).not.toBe('approved');
  });

  it('the match code does not leak: the page does not mark it, its position varies, push and email do not carry it', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '5' });
    const positions = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const w = await withdrawal(c, '0.01');
      const token = await t.channels.emailToken(c, w.id);
      const page = await t.channels.openPage(token);
      expect(page.choices).toHaveLength(3);
      expect(new Set(page.choices).size).toBe(3);
      positions.add(page.choices.indexOf(w.matchCode));
      expect(page.html).not.toMatch(/aria-pressed="true"|\bchecked\b|\bselected\b/i);
      expect(page.html).not.toMatch(new RegExp(`match_?code["']?\\s*[:=]\\s*["']?${w.matchCode}`, 'i'));
      expect(page.html.split(`"${w.matchCode}"`).length).toBe(2); // only its own radio button's value
      const push = await t.channels.push(c, w.id);
      expect(Object.keys(push.payload).sort()).toEqual([
        'address',
        'amount',
        'asset',
        'expiresAt',
        'network',
        'token',
        'type',
        'url',
        'withdrawalId',
      ]);
      const mail = await t.channels.challengeEmail(c, w.id);
      expect(mail.text ?? '').not.toMatch(new RegExp(`\\b(code|number)\\b[^\\n]{0,12}\\b${w.matchCode}\\b`, 'i'));
    }
    // Twelve draws all in one position would happen by chance with probability 3 * 3^-12.
    expect(positions.size).toBeGreaterThan(1);
  });
});

describe('with NUMBER_MATCHING=false', () => {
  const t = useSuite({ NUMBER_MATCHING: 'false' });

  it('approve works without a match code, on email and on push, and the withdrawal posts with TOTP', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const r = await t.channels.requestWithdrawal(c, '0.2');
    const w = r.body as { id: string };
    const emailToken = await t.channels.emailToken(c, w.id);
    const page = await t.channels.openPage(emailToken);
    expect([page.status, page.choices]).toEqual([200, []]); // no number to pick on the page either
    expect(page.html).toContain('id="approve"');
    expect((await t.channels.decide(emailToken, 'approve')).body).toEqual({ factor: 'email', status: 'approved' });
    expect((await t.channels.decide(await t.channels.pushToken(c, w.id), 'approve')).body).toEqual({ factor: 'push', status: 'approved' });
    expect((await t.channels.submitTotp(c, w.id, 1)).status).toBe(200);
    expect((await statusOf(c, w.id)).status).toBe('posted');
  });
});
