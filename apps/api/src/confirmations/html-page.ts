export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A minimal page: no external assets, nothing cached, not framed. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)} — Countersign</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem}
dt{font-weight:600}dd{margin:0 0 .6rem 0;word-break:break-all}button{font-size:1.1rem;padding:.5rem 1rem;margin:.3rem}
.choices button[aria-pressed=true]{outline:3px solid #2a6}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}
