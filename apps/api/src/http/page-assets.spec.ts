import { Script } from 'node:vm';
import { HTML_PAGE_HEADERS, htmlPage, markup } from './html-page';
import { assetUrl, PAGE_ASSETS } from './page-assets';

describe('the pages and their assets', () => {
  it('the script is valid JavaScript (it is kept as text, so nothing else parses it before a browser does)', () => {
    expect(() => new Script(PAGE_ASSETS['page.js'].body)).not.toThrow();
  });

  it('links the style sheet and the script by their current version', () => {
    const page = htmlPage('A <title>', markup`<p>body</p>`);
    expect(page).toContain(`<link rel="stylesheet" href="${assetUrl('page.css')}">`);
    expect(page).toContain(`<script src="${assetUrl('page.js')}" defer></script>`);
    expect(page).toContain('<title>A &lt;title&gt; · Countersign</title>');
    expect(page).not.toMatch(/<style|\sstyle=|<script>/);
    expect(assetUrl('page.css')).toMatch(/^\/assets\/page\.css\?v=[A-Za-z0-9_-]{16}$/);
  });

  it('allows script and style from the API only: nothing inline, nothing from elsewhere, no framing', () => {
    const csp = HTML_PAGE_HEADERS['content-security-policy'];
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "form-action 'self'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ]);
    expect(HTML_PAGE_HEADERS['x-frame-options']).toBe('DENY');
    expect(HTML_PAGE_HEADERS['cache-control']).toBe('no-store');
  });
});
