import { applyDecorators, Header } from '@nestjs/common';
import escapeHtml from 'escape-html';

export { escapeHtml };

/** The headers of every HTML page: nothing cached, not framed, no script or style from elsewhere. */
export const HTML_PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

/** Sends a route's answer as an HTML page with those headers. */
export const HtmlPage = () => applyDecorators(...Object.entries(HTML_PAGE_HEADERS).map(([name, value]) => Header(name, value)));

/** A minimal page: no external assets. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)} — Countersign</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem}
dt{font-weight:600}dd{margin:0 0 .6rem 0;word-break:break-all}button{font-size:1.1rem;padding:.5rem 1rem;margin:.3rem}
.choices button[aria-pressed=true]{outline:3px solid #2a6}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** A value for an inline script: JSON that cannot close the script element. */
export function scriptValue(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
