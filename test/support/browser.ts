import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, BrowserContextOptions, chromium, Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/** Where browser tests leave their screenshots (git-ignored). */
export const ARTIFACTS_DIR = join(__dirname, '..', '..', 'test-artifacts');

/** Debian's Chromium driven by playwright-core: the customer's real browser on the confirmation page. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (npm test installs it); the browser tests need it`);
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

/** A phone: 390 px wide, touch, at twice the pixel density; its time zone and script as asked. */
/** Debian's Chromium for the tests of one describe block: launched before them, closed after. */
export function useChromium(): { readonly browser: Browser } {
  const handle = {} as { browser: Browser };
  beforeAll(async () => {
    handle.browser = await launchChromium();
  });
  afterAll(async () => {
    await handle.browser?.close();
  });
  return handle;
}

export function phoneContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'en-GB',
    ...options,
  });
}

/** Saves a full-page screenshot as test-artifacts/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The radio button of a match code on the confirmation page. */
export const matchCodeRadio = (code: string) => `input[type="radio"][name="matchCode"][value="${code}"]`;

/**
 * Picks `code` as a person does, by tapping its number (the label around the radio button), and checks
 * that the radio button then shows as picked.
 */
export async function pickMatchCode(page: Page, code: string): Promise<void> {
  await page.click(`label.choice:has(${matchCodeRadio(code)})`);
  if (!(await page.isChecked(matchCodeRadio(code)))) throw new Error('the match-code radio button did not show as picked');
}

/**
 * Opens the link as the customer does, picks `matchCode` (when given) by tapping its number, presses the
 * decision button and returns what the page then says in its status region (#result).
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
    const choices = await page
      .locator('input[type="radio"][name="matchCode"]')
      .evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    if (status !== 200) return { status, result: (await page.textContent('body')) ?? '', choices };
    if (matchCode) await pickMatchCode(page, matchCode);
    await page.click(decision === 'approve' ? '#approve' : '#deny');
    const result = page.locator('#result');
    await result.filter({ hasText: /\S/ }).waitFor({ timeout: 15_000 });
    return { status, result: ((await result.textContent()) ?? '').trim(), choices };
  } finally {
    await context.close();
  }
}
