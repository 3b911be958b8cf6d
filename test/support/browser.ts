import { existsSync } from 'node:fs';
import { Browser, chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/** Debian's Chromium driven by playwright-core: the customer's real browser on the confirmation page. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium; the browser tests need it`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Opens the link as the customer does, picks `matchCode` (when given) by clicking its button, clicks the
 * decision button and returns what the page then says in its status line.
 */
export async function decideInBrowser(
  browser: Browser,
  url: string,
  decision: 'approve' | 'deny',
  matchCode?: string,
): Promise<{ status: number; result: string; choices: string[] }> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const response = await page.goto(url);
    const status = response?.status() ?? 0;
    const choices = await page.locator('.choice').evaluateAll((buttons) => buttons.map((b) => (b as HTMLElement).dataset.code ?? ''));
    if (status !== 200) return { status, result: (await page.textContent('body')) ?? '', choices };
    if (matchCode) {
      await page.click(`.choice[data-code="${matchCode}"]`);
      const pressed = await page.getAttribute(`.choice[data-code="${matchCode}"]`, 'aria-pressed');
      if (pressed !== 'true') throw new Error('the match-code button did not show as picked');
    }
    await page.click(decision === 'approve' ? '#approve' : '#deny');
    const result = page.locator('#result');
    await result.filter({ hasText: /\S/ }).waitFor({ timeout: 15_000 });
    return { status, result: (await result.textContent()) ?? '', choices };
  } finally {
    await context.close();
  }
}
