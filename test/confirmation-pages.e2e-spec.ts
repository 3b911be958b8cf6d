import { ParsedMail } from 'mailparser';
import { Page, Response } from 'playwright-core';
import { ApiClient } from './support/api-client';
import { sleep, statusOf } from './support/attack-kit';
import { matchCodeRadio, phoneContext, pickMatchCode, screenshot, useChromium } from './support/browser';
import { enrolCustomer, linkIn, TestCustomer, tokenOf } from './support/customer-factory';
import { sentTo } from './support/smtp-catcher';
import { useSuite } from './support/use-suite';

/**
 * What a person sees on a phone: the confirmation page opened from the received email in Chromium at
 * 390 px, read, answered with and without JavaScript; the link once used or expired; the email
 * verification page; the emails themselves. Each state is saved as a screenshot under test-artifacts/.
 */

const PHONE_WIDTH = 390;

/** The security headers every HTML page answers with. */
function expectPageHeaders(headers: Record<string, string>): void {
  expect(headers['content-type']).toBe('text/html; charset=utf-8');
  expect(headers['cache-control']).toBe('no-store');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBe('no-referrer');
  const csp = headers['content-security-policy'];
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("default-src 'none'");
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
}

/** What a page must not do on a phone: scroll sideways, break a block of the address, log an error. */
async function expectFitsPhone(page: Page): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE_WIDTH);
  const blocks = await page.locator('.address span').evaluateAll((spans) => spans.map((s) => s.getClientRects().length));
  expect(blocks.every((lines) => lines === 1)).toBe(true);
}

/**
 * The WCAG contrast ratio of each selector's text against the nearest opaque background behind it, in
 * the page as rendered (light or dark palette).
 */
async function contrasts(page: Page, selectors: string[]): Promise<Record<string, number>> {
  return page.evaluate((list) => {
    const rgb = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const lin = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const background = (el: Element | null): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out: Record<string, number> = {};
    for (const selector of list) {
      const el = document.querySelector(selector);
      if (!el) throw new Error(`no ${selector} on the page`);
      const [a, b] = [luminance(rgb(getComputedStyle(el).color)), luminance(background(el))];
      out[selector] = Math.round(((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)) * 100) / 100;
    }
    return out;
  }, selectors);
}

/** The kinds of text on the confirmation page, each checked for contrast. */
const TEXTS = [
  '.eyebrow',
  '.amount',
  '.network',
  '.label',
  '.address span',
  '.hint',
  '.facts dt',
  '.facts time',
  'legend',
  '.choice span',
  '#approve',
  '#deny',
  '.or',
  '.fine',
];

/** Watches a page for script errors and refused resources (a Content-Security-Policy violation logs one). */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon/.test(m.text())) errors.push(m.text());
  });
  return errors;
}

describe('the confirmation page on a phone (Chromium, 390 px wide)', () => {
  const t = useSuite();
  const chromium = useChromium();

  async function withdrawal(c: TestCustomer, amount: string) {
    const r = await t.channels.requestWithdrawal(c, amount);
    expect([r.status, r.body.detail]).toEqual([202, undefined]);
    return r.body as { id: string; matchCode: string; expiresAt: string };
  }

  async function emailLink(c: TestCustomer, withdrawalId: string): Promise<{ mail: ParsedMail; link: string }> {
    const mail = await t.channels.challengeEmail(c, withdrawalId);
    return { mail, link: linkIn(mail.text ?? '', 'confirm') };
  }

  /** A received email's HTML part as a phone shows it (script off, nothing fetched). */
  async function screenshotMail(mail: ParsedMail, name: string): Promise<void> {
    expect(typeof mail.html).toBe('string');
    const context = await phoneContext(chromium.browser, { javaScriptEnabled: false, offline: true });
    try {
      const page = await context.newPage();
      await page.setContent(mail.html as string);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE_WIDTH);
      await screenshot(page, name);
    } finally {
      await context.close();
    }
  }

  async function readPage(page: Page) {
    return {
      amount: ((await page.locator('.amount').first().textContent()) ?? '').replace(/\s+/g, ' ').trim(),
      network: ((await page.textContent('.network')) ?? '').trim(),
      groups: await page.locator('.address span').allTextContents(),
    };
  }

  it('opens the emailed link, reads amount and destination, picks the match code and approves: the email factor is approved', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c, '0.4');
    const { mail, link } = await emailLink(c, w.id);
    expect(mail.text).toContain(`${t.suite.baseUrl}/confirm/`);
    await screenshotMail(mail, 'email-challenge');

    const context = await phoneContext(chromium.browser, { timezoneId: 'Europe/Berlin' });
    try {
      const page = await context.newPage();
      const errors = watchErrors(page);
      const response = (await page.goto(link)) as Response;
      expect(response.status()).toBe(200);
      expectPageHeaders(response.headers());

      // Amount and asset first and largest; the destination in blocks of four, monospaced, none broken.
      const shown = await readPage(page);
      expect(shown.amount).toBe('0.4 BTC');
      expect(shown.network).toBe('on the bitcoin network');
      expect(shown.groups.join('')).toBe(c.address);
      expect(shown.groups.slice(0, -1).every((g) => g.length === 4)).toBe(true);
      const sizes = await page.evaluate(() => {
        const px = (el: Element | null) => (el ? parseFloat(getComputedStyle(el).fontSize) : 0);
        const others = [...document.querySelectorAll('main *')].filter((el) => !el.closest('.amount')).map(px);
        return { amount: px(document.querySelector('.amount')), largestOther: Math.max(...others) };
      });
      expect(sizes.amount).toBeGreaterThan(sizes.largestOther);
      expect(await page.locator('.address').evaluate((el) => getComputedStyle(el).fontFamily)).toMatch(/monospace/);
      await expectFitsPhone(page);

      // Times in words, in the browser's zone (Berlin), UTC beside.
      const requested = await page.locator('time[data-local]').first().textContent();
      expect(requested).toMatch(/^\w+day, \d{1,2} \w+ \d{4} at \d{2}:\d{2} (CET|CEST) \(\d{2}:\d{2} UTC\)$/);
      expect(await page.locator('.when').allTextContents()).toEqual([
        expect.stringMatching(/just now|ago/),
        expect.stringMatching(/^in \d+ minutes$/),
      ]);

      // A real radio group, nothing picked in advance.
      expect(await page.locator('fieldset legend').textContent()).toMatch(/Which number does your exchange app show/);
      expect(await page.locator('input[type="radio"][name="matchCode"]:checked').count()).toBe(0);
      await screenshot(page, 'confirm-page-before');

      await pickMatchCode(page, w.matchCode);
      const picked = `label.choice:has(${matchCodeRadio(w.matchCode)})`;
      const other = `label.choice:not(:has(${matchCodeRadio(w.matchCode)}))`;
      const border = (selector: string) =>
        page
          .locator(selector)
          .first()
          .evaluate((el) => getComputedStyle(el).borderColor);
      expect(await border(picked)).not.toBe(await border(other)); // the pick shows
      await screenshot(page, 'confirm-page-picked');

      await page.click('#approve');
      const result = page.locator('#result');
      await result.filter({ hasText: /\S/ }).waitFor({ timeout: 15_000 });
      expect((await result.textContent())?.trim()).toMatch(/^Approved/);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('result');
      await expectFitsPhone(page);
      await screenshot(page, 'confirm-approved');
      expect(errors).toEqual([]);
      expect((await statusOf(c, w.id)).factors.email).toBe('approved');

      // The same link once more: used up, said plainly.
      const again = (await page.goto(link)) as Response;
      expect(again.status()).toBe(410);
      expectPageHeaders(again.headers());
      expect(await page.textContent('#result h1')).toBe('Already approved');
      await screenshot(page, 'confirm-link-used');
    } finally {
      await context.close();
    }
  });

  it('has enough contrast in the light and the dark palette, and shows where the keyboard is', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c, '0.25');
    const { link } = await emailLink(c, w.id);
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await phoneContext(chromium.browser, { colorScheme, timezoneId: 'America/New_York' });
      try {
        const page = await context.newPage();
        expect((await page.goto(link))?.status()).toBe(200);
        const ratios = await contrasts(page, TEXTS);
        for (const [selector, ratio] of Object.entries(ratios)) expect([colorScheme, selector, ratio >= 4.5]).toEqual([colorScheme, selector, true]);

        // Keyboard: Tab reaches the radio group and the focus ring shows around its number; arrows move the pick.
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('matchCode');
        const ring = await page.locator('label.choice:has(input:focus-visible)').evaluate((el) => getComputedStyle(el).outlineStyle);
        expect(ring).toBe('solid');
        await page.keyboard.press('ArrowRight');
        expect(await page.locator('input[name="matchCode"]:checked').count()).toBe(1);
        await screenshot(page, `confirm-page-keyboard-${colorScheme}`);
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('approve');
        expect(await page.locator('#approve').evaluate((el) => getComputedStyle(el).outlineStyle)).toBe('solid');
      } finally {
        await context.close();
      }
    }
    expect((await statusOf(c, w.id)).factors.email).toBe('pending'); // looking and tabbing decided nothing
  });

  it('"This wasn\'t me" stops the withdrawal: the factor and the withdrawal are denied, and the emails say so', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c, '0.3');
    const { link } = await emailLink(c, w.id);
    const context = await phoneContext(chromium.browser, { timezoneId: 'Asia/Tokyo' });
    try {
      const page = await context.newPage();
      const errors = watchErrors(page);
      expect((await page.goto(link))?.status()).toBe(200);
      expect(await readPage(page)).toEqual({ amount: '0.3 BTC', network: 'on the bitcoin network', groups: expect.any(Array) });
      await page.click('#deny');
      const result = page.locator('#result');
      await result.filter({ hasText: /\S/ }).waitFor({ timeout: 15_000 });
      expect((await result.textContent())?.trim()).toMatch(/^Withdrawal stopped/);
      await expectFitsPhone(page);
      await screenshot(page, 'confirm-denied');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
    const doc = await statusOf(c, w.id);
    expect([doc.status, doc.factors.email]).toEqual(['denied', 'denied']);

    const outcome = await t.env.smtp.waitFor((m) => sentTo(m, c.email) && /was stopped/.test(m.subject ?? ''));
    expect(outcome.text).toContain('0.3 BTC');
    expect(outcome.text).toContain(c.address);
    await screenshotMail(outcome, 'email-outcome-denied');
    await screenshotMail(await t.env.smtp.waitFor((m) => sentTo(m, c.email) && /withdrawals frozen/.test(m.subject ?? '')), 'email-alert-frozen');
  });

  it('a wrong pick stops the withdrawal and says why', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c, '0.2');
    const { link } = await emailLink(c, w.id);
    const context = await phoneContext(chromium.browser);
    try {
      const page = await context.newPage();
      await page.goto(link);
      const choices = await page
        .locator('input[type="radio"][name="matchCode"]')
        .evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
      await pickMatchCode(
        page,
        choices.find((x) => x !== w.matchCode)!,
      );
      await page.click('#approve');
      const result = page.locator('#result');
      await result.filter({ hasText: /\S/ }).waitFor({ timeout: 15_000 });
      expect((await result.textContent())?.trim()).toMatch(/^Wrong number: withdrawal stopped/);
      await screenshot(page, 'confirm-wrong-code');
    } finally {
      await context.close();
    }
    const doc = await statusOf(c, w.id);
    expect([doc.status, doc.factors.email]).toEqual(['denied', 'denied']);
  });

  it('works without JavaScript: Approve without a pick changes nothing (422), then pick and Approve approves', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c, '0.15');
    const { link } = await emailLink(c, w.id);
    const context = await phoneContext(chromium.browser, { javaScriptEnabled: false, timezoneId: 'Europe/Berlin' });
    try {
      const page = await context.newPage();
      expect((await page.goto(link))?.status()).toBe(200);
      expect(await page.locator('time[data-local]').first().textContent()).toMatch(/ UTC$/); // no script: UTC as served

      const [refused] = await Promise.all([page.waitForNavigation(), page.click('#approve')]);
      expect(refused?.status()).toBe(422);
      expectPageHeaders(refused!.headers());
      expect(await page.textContent('#result')).toMatch(/^Pick a number first\./);
      expect(await page.locator('input[type="radio"][name="matchCode"]').count()).toBe(3);
      await screenshot(page, 'nojs-no-pick');
      const [{ wrong_match_picks }] = await t.env.admin.query(
        "SELECT wrong_match_picks FROM withdrawal_factors WHERE withdrawal_id = $1 AND factor = 'email'",
        [w.id],
      );
      expect(wrong_match_picks).toBe(0);
      expect((await statusOf(c, w.id)).factors.email).toBe('pending');

      await pickMatchCode(page, w.matchCode);
      const [approved] = await Promise.all([page.waitForNavigation(), page.click('#approve')]);
      expect(approved?.status()).toBe(200);
      expect(page.url()).toBe(`${link}#result`); // the answer scrolls to its outcome
      expect(((await page.textContent('#result')) ?? '').trim()).toMatch(/^Approved/);
      expect((await readPage(page)).groups.join('')).toBe(c.address); // what was approved, repeated
      await expectFitsPhone(page);
      await screenshot(page, 'nojs-approved');
    } finally {
      await context.close();
    }
    expect((await statusOf(c, w.id)).factors.email).toBe('approved');
  });

  it('the form endpoint over plain HTTP: a bare POST and a bad form change nothing; a deny by form denies', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c, '0.1');
    const { link } = await emailLink(c, w.id);
    const browserAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    const form = (fields: Record<string, string>) =>
      fetch(link, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: browserAccept },
        body: new URLSearchParams(fields).toString(),
      });

    // A bare POST: a page for a browser, a problem document for anything else; nothing changes either way.
    const bare = await fetch(link, { method: 'POST', headers: { accept: browserAccept } });
    expect(bare.status).toBe(400);
    expectPageHeaders(Object.fromEntries(bare.headers));
    expect(await bare.text()).toContain('This form was not complete');
    const scripted = await fetch(link, { method: 'POST' });
    expect([scripted.status, scripted.headers.get('content-type'), ((await scripted.json()) as { code: string }).code]).toEqual([
      400,
      expect.stringMatching(/^application\/problem\+json/),
      'validation_failed',
    ]);
    expect((await form({ decision: 'approve', matchCode: 'x1' })).status).toBe(400);
    expect((await form({ decision: 'maybe' })).status).toBe(400);
    expect((await form({ decision: 'approve', extra: '1' })).status).toBe(400);
    const noPick = await form({ decision: 'approve' });
    expect(noPick.status).toBe(422);
    expect(await noPick.text()).toContain('Pick a number first.');
    expect((await statusOf(c, w.id)).factors.email).toBe('pending');
    const [{ picks, consumed }] = await t.env.admin.query(
      `SELECT f.wrong_match_picks AS picks, (SELECT count(*)::int FROM challenges WHERE withdrawal_id = $1 AND consumed_at IS NOT NULL) AS consumed
         FROM withdrawal_factors f WHERE f.withdrawal_id = $1 AND f.factor = 'email'`,
      [w.id],
    );
    expect([picks, consumed]).toEqual([0, 0]); // nothing used up by any of those

    const denied = await form({ decision: 'deny' });
    expect(denied.status).toBe(200);
    expect(await denied.text()).toContain('Withdrawal stopped');
    expect((await statusOf(c, w.id)).factors.email).toBe('denied');
    const gone = await form({ decision: 'deny' });
    expect(gone.status).toBe(410);
    expect(await gone.text()).toContain('This withdrawal was stopped');
    // The JSON contract is unchanged.
    const json = await new ApiClient(t.suite.baseUrl).post('/v1/confirmations', { token: tokenOf(link), decision: 'deny' });
    expect([json.status, json.body.code]).toEqual([410, 'token_invalid']);
  });

  it('serves the style sheet and script as files with their content type and caching; no page inlines either', async () => {
    const response = await fetch(`${t.suite.baseUrl}/confirm/not-a-real-token-at-all`);
    expect(response.status).toBe(410);
    const html = await response.text();
    expect(html).toContain('This link is not valid');
    expect(html).not.toMatch(/<style|\sstyle=|<script>|<script(?![^>]*\bsrc=)|\son[a-z]+=/i);
    const urls = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(urls.map((u) => u.replace(/\?.*/, '')).sort()).toEqual(['/assets/page.css', '/assets/page.js']);
    for (const url of urls) {
      const asset = await fetch(`${t.suite.baseUrl}${url}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toBe(url.includes('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
      const etag = asset.headers.get('etag')!;
      const unversioned = await fetch(`${t.suite.baseUrl}${url.replace(/\?.*/, '')}`, { headers: { 'if-none-match': etag } });
      expect([unversioned.status, unversioned.headers.get('cache-control')]).toEqual([304, 'no-cache']);
    }
    expect((await fetch(`${t.suite.baseUrl}/assets/secrets.env`)).status).toBe(404);
  });

  it('the email verification page: verify on a phone, with the same headers; a bare POST verifies nothing', async () => {
    const id = `cust-verify-${Date.now().toString(36)}`;
    const email = `${id}@example.test`;
    const client = new ApiClient(t.suite.baseUrl, await t.env.token(id));
    expect((await client.call('PUT', '/v1/me/email', { body: { email } })).status).toBe(202);
    const mail = await t.env.smtp.waitFor((m) => sentTo(m, email) && /Verify/.test(m.subject ?? ''));
    await screenshotMail(mail, 'email-verification');
    const link = linkIn(mail.text ?? '', 'verify-email');
    expect((await fetch(link, { method: 'POST' })).status).toBe(400);
    expect((await client.get('/v1/me/security')).body.email.verified).toBe(false);

    const context = await phoneContext(chromium.browser);
    try {
      const page = await context.newPage();
      const errors = watchErrors(page);
      const response = (await page.goto(link)) as Response;
      expect(response.status()).toBe(200);
      expectPageHeaders(response.headers());
      await screenshot(page, 'verify-email-page');
      await page.click('#verify-address');
      const result = page.locator('#result');
      await result.filter({ hasText: /\S/ }).waitFor({ timeout: 15_000 });
      expect((await result.textContent())?.trim()).toMatch(/^Email address verified/);
      await screenshot(page, 'verify-email-done');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
    expect((await client.get('/v1/me/security')).body.email).toEqual({ address: email, verified: true });
  });
});

describe('an expired confirmation link on a phone', () => {
  const t = useSuite({ CONFIRMATION_WINDOW: '3s' });
  const chromium = useChromium();

  it('says the link expired, on the open page (Approve too late) and when opened again', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const r = await t.channels.requestWithdrawal(c, '0.1');
    const w = r.body as { id: string; matchCode: string };
    const mail = await t.channels.challengeEmail(c, w.id);
    const link = linkIn(mail.text ?? '', 'confirm');
    const context = await phoneContext(chromium.browser);
    try {
      const page = await context.newPage();
      expect((await page.goto(link))?.status()).toBe(200);
      await pickMatchCode(page, w.matchCode);
      await sleep(3500);
      await page.click('#approve');
      const result = page.locator('#result');
      await result.filter({ hasText: /\S/ }).waitFor({ timeout: 15_000 });
      expect((await result.textContent())?.trim()).toMatch(/^This link has expired/);

      const again = (await page.goto(link)) as Response;
      expect(again.status()).toBe(410);
      expect(await page.textContent('#result h1')).toBe('This link has expired');
      await screenshot(page, 'confirm-link-expired');
    } finally {
      await context.close();
    }
    expect((await statusOf(c, w.id)).status).toBe('expired');
  });
});
