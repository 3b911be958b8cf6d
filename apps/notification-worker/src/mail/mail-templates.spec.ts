import { alertMail, challengeMail, outcomeMail, verificationMail, WithdrawalDetails } from './mail-templates';

const withdrawal: WithdrawalDetails = {
  id: '6f1c2b8e-1d2a-4c33-9b7e-0a1b2c3d4e5f',
  asset: 'BTC',
  network: 'bitcoin',
  amount: '0.4',
  address: 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh',
  createdAt: new Date('2026-03-12T14:03:00Z'),
  expiresAt: new Date('2026-03-12T14:13:00Z'),
  status: 'pending_confirmation',
  reason: null,
  requestIp: '203.0.113.7',
};

const hostile: WithdrawalDetails = {
  ...withdrawal,
  asset: '<b>BTC</b>',
  network: '"><img src=x onerror=alert(1)>',
  address: '<script>alert("pwned")</script>',
  reason: '<iframe src=//evil.test>',
  requestIp: '<svg onload=alert(2)>',
};

const URL = 'https://confirm.test/confirm/tok_abc-123';

/** The elements of an HTML part, by name: what a hostile value would add if it were not escaped. */
const tags = (html: string) => [...html.matchAll(/<([a-z][a-z0-9]*)\b/gi)].map((m) => m[1].toLowerCase());
const ALLOWED_TAGS = new Set(['html', 'head', 'meta', 'title', 'body', 'table', 'tr', 'td', 'h1', 'p', 'span', 'a', 'br']);

/** Where each of `needles` first occurs in `haystack`, in the order given; fails if one is missing. */
function positions(haystack: string, needles: string[]): number[] {
  return needles.map((n) => {
    const at = haystack.indexOf(n);
    if (at < 0) throw new Error(`${JSON.stringify(n)} is missing from:\n${haystack}`);
    return at;
  });
}

const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] < x);

describe('mail templates', () => {
  describe('the challenge email', () => {
    const mail = challengeMail('alice@example.test', withdrawal, URL);

    it('keeps its subject and carries the link in the plain-text part', () => {
      expect(mail.subject).toBe('Confirm your withdrawal of 0.4 BTC');
      expect(mail.subject).toMatch(/Confirm your withdrawal/);
      expect(mail.text).toMatch(/^Review this withdrawal: https:\/\/confirm\.test\/confirm\/tok_abc-123$/m);
      expect(mail.html).toContain(`href="${URL}"`);
    });

    it('has both parts, each saying the facts in the page’s order: amount, network, destination, requested, from, expiry', () => {
      const inText = positions(mail.text, [
        '0.4 BTC',
        'bitcoin',
        withdrawal.address,
        'bc1q xy2k gdyg jrsq tzq2 n0yr f249 3p83 kkfj hx0w lh',
        'Thursday, 12 March 2026 at 14:03 UTC',
        '203.0.113.7',
        'Thursday, 12 March 2026 at 14:13 UTC (10 minutes after the request)',
        URL,
        withdrawal.id,
      ]);
      expect(ascending(inText)).toBe(true);
      const inHtml = positions(mail.html, [
        '0.4 BTC',
        'on the bitcoin network',
        '>bc1q</span> <span',
        '>lh</span>',
        'Thursday, 12 March 2026 at 14:03 UTC',
        '203.0.113.7',
        'Thursday, 12 March 2026 at 14:13 UTC',
        'Review this withdrawal',
        withdrawal.id,
      ]);
      expect(ascending(inHtml)).toBe(true);
    });

    it('shows the amount larger than anything else in the HTML part, and the destination in a monospaced face', () => {
      const sizes = [...mail.html.matchAll(/font-size:(\d+)px/g)].map((m) => Number(m[1]));
      expect(Math.max(...sizes)).toBe(32);
      expect(mail.html).toMatch(/font-size:32px[^>]*>0\.4 BTC</);
      expect(mail.html).toMatch(/font-family:ui-monospace[^>]*><span[^>]*>bc1q<\/span>/);
    });

    it('never names the match code, and fetches nothing: no image, font or style sheet from anywhere', () => {
      expect(mail.text).not.toMatch(/\b(code|number)\b[^\n]{0,12}\b[0-9]{2}\b/i);
      expect(mail.html).not.toMatch(/<img|<link|<script|@import|url\(|src=/i);
      expect([...mail.html.matchAll(/href="([^"]*)"/g)].map((m) => m[1])).toEqual([URL]);
    });

    it('escapes hostile data in every part of the HTML, and leaves the text part as plain text', () => {
      const evil = challengeMail('alice@example.test', hostile, 'https://confirm.test/confirm/x"onmouseover="alert(3)');
      expect(new Set(tags(evil.html).filter((t) => !ALLOWED_TAGS.has(t)))).toEqual(new Set());
      expect(evil.html).not.toMatch(/<script|<img|<svg|<iframe|<b>/i);
      expect(evil.html).toContain('&lt;b&gt;BTC&lt;/b&gt;');
      expect(evil.html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
      expect(evil.html).toContain('&lt;svg onload=alert(2)&gt;');
      expect(evil.html).toContain('href="https://confirm.test/confirm/x&quot;onmouseover=&quot;alert(3)"');
      // The address in blocks: each block escaped on its own, none able to open a tag.
      expect(evil.html).toContain('&lt;scr</span>');
      expect(evil.text).toContain('To:              <script>alert("pwned")</script>');
    });

    it('shows times in the customer’s zone with UTC beside when the zone is known, in UTC otherwise', () => {
      const berlin = challengeMail('a@example.test', { ...withdrawal, timeZone: 'Europe/Berlin' }, URL);
      expect(berlin.text).toContain('Requested:       Thursday, 12 March 2026 at 15:03 CET (14:03 UTC)');
      const unknown = challengeMail('a@example.test', { ...withdrawal, timeZone: 'Mars/Olympus_Mons' }, URL);
      expect(unknown.text).toContain('Requested:       Thursday, 12 March 2026 at 14:03 UTC');
    });
  });

  describe('the outcome emails', () => {
    it.each([
      ['posted', null, /Your withdrawal was confirmed and sent/, 'Sent', false],
      ['denied', 'denied_by_customer', /Your withdrawal was stopped/, 'Stopped (a confirmation was refused', true],
      ['expired', 'confirmation_window_passed', /Your withdrawal expired unconfirmed/, 'Expired (not confirmed in time)', true],
      ['rejected', '<b>operator</b> said no', /Your withdrawal was rejected by our operators/, 'Rejected (<b>operator</b> said no)', true],
    ] as const)('%s: subject, both parts, facts in order, funds released when not sent', (status, reason, subject, shownStatus, released) => {
      const mail = outcomeMail('alice@example.test', { ...withdrawal, status, reason });
      expect(mail.subject).toMatch(subject);
      expect(mail.subject).toContain('0.4 BTC');
      const order = [
        '0.4 BTC',
        'bitcoin',
        withdrawal.address,
        'Thursday, 12 March 2026 at 14:03 UTC',
        '203.0.113.7',
        `Status:          ${shownStatus}`,
      ];
      expect(ascending(positions(mail.text, [...order, withdrawal.id]))).toBe(true);
      expect(
        ascending(
          positions(mail.html, [
            '0.4 BTC',
            'on the bitcoin network',
            '>bc1q</span>',
            '14:03 UTC',
            '203.0.113.7',
            `>${shownStatus.replace(/</g, '&lt;').replace(/>/g, '&gt;')}`,
          ]),
        ),
      ).toBe(true);
      expect(mail.text.includes('The reserved funds are available in your account again.')).toBe(released);
      expect(mail.html).not.toContain('<b>');
    });
  });

  it('the verification email keeps its subject and carries the /verify-email/ link in both parts', () => {
    const url = 'https://confirm.test/verify-email/tok_xyz';
    const mail = verificationMail('alice@example.test', url);
    expect(mail.subject).toMatch(/Verify/);
    expect(mail.text).toMatch(/^Verify this address: https:\/\/confirm\.test\/verify-email\/tok_xyz$/m);
    expect(mail.html).toContain(`href="${url}"`);
    expect(mail.html).toContain('Verify your email address');
  });

  describe('security alerts', () => {
    it('with a withdrawal: the alert first, then the withdrawal’s facts in order', () => {
      const mail = alertMail('alice@example.test', 'withdrawal_denied_not_me', hostile);
      expect(mail.subject).toBe('Security alert: withdrawals frozen on your account');
      expect(ascending(positions(mail.text, ['You reported a withdrawal', '<b>BTC</b>', hostile.address, withdrawal.id]))).toBe(true);
      expect(new Set(tags(mail.html).filter((t) => !ALLOWED_TAGS.has(t)))).toEqual(new Set());
      expect(mail.html).toContain('&lt;scr</span>');
    });

    it('without one: the alert alone', () => {
      const mail = alertMail('alice@example.test', 'totp_code_reused');
      expect(mail.subject).toMatch(/authenticator code was used twice/);
      expect(mail.text).toContain('It was refused.');
      expect(mail.html).toContain('It was refused.');
    });
  });
});
