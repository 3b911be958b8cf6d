import { phoneContext, screenshot, useChromium } from './support/browser';
import { authenticatorCode, enrolCustomer } from './support/customer-factory';
import { useSuite } from './support/use-suite';

/**
 * The example frontend page in Debian's Chromium: a customer's token pasted, a withdrawal requested from
 * the page, its match code shown, and its status followed live from the event stream while the customer
 * confirms on the three channels — the page reads `posted` without a reload.
 */
/** How long the page may take to show a change on a loaded CI machine (the latency itself is measured in withdrawal-events). */
const LOADED_MACHINE_WAIT_MS = 30_000;

describe('the example frontend follows a withdrawal live', () => {
  const t = useSuite();
  const chromium = useChromium();

  it('requests a withdrawal, shows its match code, and shows each confirmation and `posted` as they happen', async () => {
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const context = await phoneContext(chromium.browser);
    const page = await context.newPage();
    try {
      await page.goto(`${t.suite.baseUrl}/examples/frontend.html`);
      await page.fill('#bearer', String(customer.client.bearer));
      await page.fill('#address-id', customer.addressId);
      await page.fill('#amount', '0.25');
      await page.click('#request-withdrawal');
      await page.locator('#live-status', { hasText: 'pending_confirmation' }).waitFor({ timeout: LOADED_MACHINE_WAIT_MS });
      const id = await page.inputValue('#withdrawal-id');
      const matchCode = (await page.textContent('#live-match'))!.trim();
      expect(matchCode).toMatch(/^[0-9]{2}$/);
      await screenshot(page, 'example-frontend-1-requested');

      expect((await t.channels.approveEmail(customer, id, matchCode)).status).toBe(200);
      await page.locator('#live-email', { hasText: 'approved' }).waitFor({ timeout: LOADED_MACHINE_WAIT_MS });
      expect((await t.channels.approvePush(customer, id, matchCode)).status).toBe(200);
      await page.locator('#live-push', { hasText: 'approved' }).waitFor({ timeout: LOADED_MACHINE_WAIT_MS });
      await screenshot(page, 'example-frontend-2-two-of-three');
      expect((await customer.client.post(`/v1/withdrawals/${id}/totp`, { code: await authenticatorCode(customer.totpSecret, 1) })).status).toBe(200);
      await page.locator('#live-status', { hasText: 'posted' }).waitFor({ timeout: LOADED_MACHINE_WAIT_MS });
      expect(await page.textContent('#live-totp')).toBe('approved');
      await page.locator('#output', { hasText: 'The stream ended' }).waitFor({ timeout: LOADED_MACHINE_WAIT_MS });
      await screenshot(page, 'example-frontend-3-posted');
    } finally {
      await context.close();
    }
  });
});
