import { BrowserContext, Page } from 'playwright-core';
import { currentStep, sleep, statusOf, STEP_MS } from './support/attack-kit';
import { authenticatorCode, enrolCustomer } from './support/customer-factory';
import { phoneContext, pickMatchCode, screenshot, useChromium } from './support/browser';
import { useSuite } from './support/use-suite';

/**
 * The customer's real browser: Debian's Chromium with the DevTools Protocol's virtual authenticator (a
 * platform authenticator with user verification). A passkey is registered through the example frontend page
 * and then approves the push confirmation on the confirmation page, at a phone's 390 px width.
 */
describe('passkeys in a real browser', () => {
  const t = useSuite({ PUBLIC_BASE_URL: 'http://localhost:{port}', WEBAUTHN_RP_ID: 'localhost' });
  const chromium = useChromium();

  /** A phone whose browser has a platform authenticator (or none that holds the customer's passkey). */
  async function phoneWithAuthenticator(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await phoneContext(chromium.browser);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    return { context, page };
  }

  it('registers a passkey on the example page and approves the push with it on the confirmation page; the withdrawal posts after email and TOTP', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const { context, page } = await phoneWithAuthenticator();
    try {
      await page.goto(`${t.suite.baseUrl}/examples/frontend.html`);
      await page.fill('#bearer', await t.env.token(customer.id));
      const registrationStep = currentStep();
      await page.fill('#totp', await authenticatorCode(customer.totpSecret, 1));
      await page.fill('#passkey-label', 'my phone');
      await page.click('#register-passkey');
      await page
        .locator('#output')
        .filter({ hasText: /registered|not registered/i })
        .waitFor({ timeout: 15_000 });
      expect(await page.textContent('#output')).toBe('Passkey registered: my phone');
      await page.locator('#passkey-list li').first().waitFor();
      expect(await page.textContent('#passkey-list')).toContain('my phone');
      await screenshot(page, 'passkeys-example-page');
      expect((await customer.client.get('/v1/me/security')).body.passkeys).toBe(1);

      const w = (await t.channels.requestWithdrawal(customer, '0.3')).body;
      expect((await t.channels.approveEmail(customer, w.id, w.matchCode)).status).toBe(200);
      const pushToken = await t.channels.pushToken(customer, w.id);
      await page.goto(`${t.suite.baseUrl}/confirm/${pushToken}`);
      expect(await page.locator('#approve-passkey').isVisible()).toBe(true);
      expect(await page.locator('#approve').isVisible()).toBe(false);
      expect(await page.locator('#deny').isVisible()).toBe(true);
      await screenshot(page, 'passkeys-confirmation-page');
      await pickMatchCode(page, w.matchCode);
      await page.click('#approve-passkey');
      const result = page.locator('#result');
      await result.filter({ hasText: /\S/ }).waitFor({ timeout: 15_000 });
      expect(((await result.textContent()) ?? '').trim()).toMatch(/^Approved/);
      await screenshot(page, 'passkeys-confirmation-approved');
      expect((await statusOf(customer, w.id)).factors.push).toBe('approved');

      // The TOTP code: a step after the one the registration used.
      while (currentStep() <= registrationStep) await sleep(Math.min(1000, STEP_MS));
      expect((await t.channels.submitTotp(customer, w.id, 1)).status).toBe(200);
      await t.channels.waitForStatus(customer, w.id, 'posted');
      const [{ passkey_id }] = await t.env.admin.query(`SELECT passkey_id FROM withdrawal_factors WHERE withdrawal_id = $1 AND factor = 'push'`, [
        w.id,
      ]);
      expect(passkey_id).toEqual(expect.any(String));

      // A browser without the customer's passkey is told so, and "This wasn't me" still works.
      const w2 = (await t.channels.requestWithdrawal(customer, '0.1')).body;
      const token2 = await t.channels.pushToken(customer, w2.id);
      const other = await phoneWithAuthenticator();
      try {
        await other.page.goto(`${t.suite.baseUrl}/confirm/${token2}`);
        await pickMatchCode(other.page, w2.matchCode);
        await other.page.click('#approve-passkey');
        await other.page.locator('#passkey-status.problem').waitFor({ timeout: 15_000 });
        expect(await other.page.textContent('#passkey-status')).toMatch(/No passkey was used/);
        await screenshot(other.page, 'passkeys-confirmation-no-passkey');
        expect((await statusOf(customer, w2.id)).factors.push).toBe('pending');
        await other.page.click('#deny');
        await other.page
          .locator('#result')
          .filter({ hasText: /stopped/i })
          .waitFor({ timeout: 15_000 });
        expect((await statusOf(customer, w2.id)).status).toBe('denied');
      } finally {
        await other.context.close();
      }
    } finally {
      await context.close();
    }
  });
});
