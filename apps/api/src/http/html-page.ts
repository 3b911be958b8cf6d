import { Html, inGroups, markup, relativeTime, timeInWords } from '@app/domain';
import { applyDecorators, Header } from '@nestjs/common';
import { assetUrl, PageAssetName } from './page-assets';

export { Html, markup };

/**
 * The headers of every HTML page: nothing cached, not framed, nothing sniffed, no referrer, and a policy
 * that allows style and script only as files from the API itself (/assets/…): no inline script or style,
 * nothing from elsewhere, forms only to this origin.
 */
export const HTML_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'referrer-policy': 'no-referrer',
};

/** Sends a route's answer as an HTML page with those headers. */
export const HtmlPage = () => applyDecorators(...Object.entries(HTML_PAGE_HEADERS).map(([name, value]) => Header(name, value)));

/** What a page adds for its customer: the anti-phishing code under the bar, scripts of its own (files under /assets/). */
export interface PageOptions {
  antiPhishingCode?: string | null;
  scripts?: PageAssetName[];
  /** More of the page's own files in the head (a page served with its own script and style). */
  head?: Html;
}

/** The customer's anti-phishing code, in the same place on every page: right under the Countersign bar. */
export function antiPhishingBanner(code: string | null | undefined): Html | '' {
  return code ? markup`<p class="anti-phishing" id="anti-phishing-code">Your anti-phishing code: <strong>${code}</strong></p>` : '';
}

/** A whole page: the title, the Countersign bar, and `main`. Its style and script are the files under /assets/. */
export function htmlPage(title: string, main: Html, options: PageOptions = {}): string {
  const scripts = (options.scripts ?? []).map((name) => markup`\n<script src="${assetUrl(name)}" defer></script>`);
  return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${title} · Countersign</title>
<link rel="stylesheet" href="${assetUrl('page.css')}">
<script src="${assetUrl('page.js')}" defer></script>${scripts}${options.head ? markup`\n${options.head}` : ''}
</head>
<body>
<header class="brand">Countersign <span>· withdrawal security</span></header>${options.antiPhishingCode ? markup`\n${antiPhishingBanner(options.antiPhishingCode)}` : ''}
<main id="main">
${main}
</main>
</body>
</html>
`.value;
}

/** What a withdrawal page shows first and largest: amount and asset, then the network. */
export interface ShownWithdrawal {
  asset: string;
  network: string;
  /** As a person reads it: no trailing zeros. */
  amount: string;
  address: string;
}

/** "0.4 BTC" as the heading's main line. */
export function amountLine(w: ShownWithdrawal): Html {
  return markup`<span class="amount">${w.amount} <span class="asset">${w.asset}</span></span>`;
}

/**
 * The destination in a monospaced face, in blocks of four for comparing by eye; a block never breaks.
 * The whole address is there once more for screen readers (and for finding it in the page).
 */
export function destination(address: string): Html {
  const groups = inGroups(address).map((group) => markup`<span>${group}</span>`);
  return markup`<div class="destination"><span class="visually-hidden">${address}</span><p class="address" aria-hidden="true">${groups}</p></div>`;
}

/**
 * A time in words: how long ago or ahead, then the date and time in UTC, which the page's script rewrites
 * into the reader's own zone (UTC beside) where the browser knows it.
 */
export function timeFact(at: Date, options: { expires?: boolean; now?: Date } = {}): Html {
  const iso = at.toISOString();
  const now = options.now ?? new Date();
  const when = options.expires && at.getTime() <= now.getTime() ? 'expired' : relativeTime(at, now);
  const expires = options.expires ? markup` data-expires` : '';
  return markup`<span class="when" data-relative="${iso}"${expires}>${when}</span><time datetime="${iso}" data-local>${timeInWords(at)}</time>`;
}

/** A short reminder of what was decided on: amount, network, destination. */
export function summaryCard(label: string, w: ShownWithdrawal): Html {
  return markup`<section class="card summary" aria-label="${label}">
<p class="label">${label}</p>
${amountLine(w)}
<p class="network">on the ${w.network} network, to</p>
${destination(w.address)}
</section>`;
}

export type OutcomeTone = 'ok' | 'stop' | 'info';

const ICONS: Record<OutcomeTone, string> = { ok: '✓', stop: '✕', info: '!' };

/**
 * A final state: its heading and explanation in #result (which the page's script focuses after a form
 * is sent), an icon for the eye only, then whatever follows (a summary).
 */
export function outcome(tone: OutcomeTone, heading: string, paragraphs: (string | Html)[], after?: Html): Html {
  const text = paragraphs.map((p) => markup`<p>${p}</p>`);
  return markup`<section class="card outcome outcome-${tone}">
<span class="icon" aria-hidden="true">${ICONS[tone]}</span>
<div id="result" role="status" tabindex="-1"><h1>${heading}</h1>${text}</div>
</section>
${after ?? ''}`;
}
