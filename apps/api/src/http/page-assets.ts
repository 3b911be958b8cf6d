import { createHash } from 'node:crypto';
import { ANTI_PHISHING_CSS, PASSKEY_APPROVAL_JS, WEBAUTHN_BROWSER_BUNDLE } from './passkey-assets';

/**
 * The style sheet and the script of the HTML pages, served from the API itself (/assets/…) so that the
 * pages' Content-Security-Policy allows style and script from 'self' only: nothing inline, nothing from
 * elsewhere. The pages work without the script; it only shows times in the reader's own time zone, keeps
 * "in 9 minutes" current, and sends a form without leaving the page.
 */

const PAGE_CSS = `:root {
  color-scheme: light dark;
  --bg: #eef1f5;
  --card: #ffffff;
  --text: #111827;
  --muted: #4b5563;
  --line: #cfd6df;
  --group: #e7ebf1;
  --primary: #1d4ed8;
  --primary-hover: #1e40af;
  --on-primary: #ffffff;
  --picked: #e6edff;
  --danger: #b42318;
  --danger-bg: #fdecea;
  --ok: #146c43;
  --ok-bg: #e3f4ea;
  --warn: #8a4600;
  --warn-bg: #fdf0dc;
  --focus: #1d4ed8;
  --mono: ui-monospace, 'SF Mono', SFMono-Regular, Menlo, Consolas, 'Liberation Mono', 'DejaVu Sans Mono', monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117;
    --card: #171c24;
    --text: #eef2f7;
    --muted: #b2bccb;
    --line: #3a4350;
    --group: #252c37;
    --primary: #9dbcff;
    --primary-hover: #bcd1ff;
    --on-primary: #0b1633;
    --picked: #1e2b47;
    --danger: #ff9b91;
    --danger-bg: #3a1714;
    --ok: #7fd6a4;
    --ok-bg: #11301f;
    --warn: #ffc27a;
    --warn-bg: #36240c;
    --focus: #9dbcff;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 1rem/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
}
.brand {
  margin: 0;
  padding: .7rem 1rem;
  background: var(--card);
  border-bottom: 1px solid var(--line);
  font-weight: 700;
  font-size: .95rem;
}
.brand span { color: var(--muted); font-weight: 400; }
main { display: block; max-width: 32rem; margin: 0 auto; padding: 1rem 1rem 2.5rem; }
.card {
  margin: 0 0 1rem;
  padding: 1.1rem 1rem 1.2rem;
  background: var(--card);
  border: 1px solid var(--line);
  border-radius: 14px;
}
h1, h2 { margin: 0; }
h1 { font-size: 1.6rem; line-height: 1.2; }
p { margin: .5rem 0 0; }
.eyebrow { display: block; margin: 0; color: var(--muted); font-size: 1rem; line-height: 1.4; font-weight: 600; }
.amount {
  display: block;
  margin: .1rem 0 .2rem;
  font-size: 2.6rem;
  line-height: 1.12;
  font-weight: 800;
  letter-spacing: -.01em;
  font-variant-numeric: tabular-nums;
  overflow-wrap: anywhere;
}
.amount .asset { font-weight: 700; }
.network { margin: 0; color: var(--muted); }
.label {
  margin: 0 0 .45rem;
  color: var(--muted);
  font-size: .8rem;
  font-weight: 700;
  letter-spacing: .06em;
  text-transform: uppercase;
}
.address {
  display: flex;
  flex-wrap: wrap;
  gap: .35rem .4rem;
  margin: 0;
  font: 600 1.2rem/1.35 var(--mono);
  font-variant-ligatures: none;
}
.address span { white-space: nowrap; padding: .05rem .22rem; border-radius: 5px; }
.address span:nth-child(odd) { background: var(--group); }
.hint { color: var(--muted); font-size: .95rem; }
.facts { margin: 0; }
.facts dt { color: var(--muted); font-size: .8rem; font-weight: 700; letter-spacing: .06em; text-transform: uppercase; }
.facts dd { margin: .1rem 0 .85rem; }
.facts dd:last-child { margin-bottom: 0; }
.facts .when { display: block; font-weight: 700; }
.facts time, .facts .mono { color: var(--muted); font-size: .95rem; }
.mono { font-family: var(--mono); overflow-wrap: anywhere; }
.visually-hidden {
  position: absolute !important;
  width: 1px;
  height: 1px;
  margin: -1px;
  padding: 0;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
  border: 0;
}
fieldset { min-width: 0; margin: 0; padding: 0; border: 0; }
legend { padding: 0; font-size: 1.15rem; font-weight: 800; }
.choice-row { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: .6rem; margin-top: .85rem; }
.choice {
  position: relative;
  display: flex;
  align-items: center;
  justify-content: center;
  gap: .55rem;
  min-height: 4.25rem;
  padding: .5rem;
  background: var(--card);
  border: 2px solid var(--line);
  border-radius: 12px;
  cursor: pointer;
  font: 800 1.8rem/1 var(--mono);
  font-variant-numeric: tabular-nums;
}
.choice input { width: 1.3rem; height: 1.3rem; margin: 0; flex: none; accent-color: var(--primary); cursor: pointer; }
.choice:hover { border-color: var(--muted); }
.choice:has(input:checked) { border-color: var(--primary); background: var(--picked); box-shadow: inset 0 0 0 1px var(--primary); }
.choice:has(input:focus-visible) { outline: 3px solid var(--focus); outline-offset: 3px; }
@supports selector(:has(a)) {
  .choice input:focus-visible { outline: none; }
}
.actions { display: grid; gap: .65rem; margin-top: 1.3rem; }
.actions:first-child { margin-top: 0; }
.actions .or { margin: .35rem 0 0; color: var(--muted); font-size: .95rem; }
button, .button {
  display: block;
  width: 100%;
  min-height: 3.25rem;
  padding: .75rem 1rem;
  border-radius: 12px;
  font: inherit;
  font-size: 1.1rem;
  font-weight: 800;
  text-align: center;
  cursor: pointer;
}
.primary { background: var(--primary); color: var(--on-primary); border: 2px solid var(--primary); }
.primary:hover { background: var(--primary-hover); border-color: var(--primary-hover); }
.danger { background: var(--card); color: var(--danger); border: 2px solid var(--danger); }
.danger:hover { background: var(--danger-bg); }
button:focus-visible, a:focus-visible, [tabindex]:focus-visible { outline: 3px solid var(--focus); outline-offset: 3px; }
button[disabled] { opacity: .65; cursor: progress; }
#result:empty { display: none; }
#result:focus { outline: none; }
.notice {
  margin: 0 0 1rem;
  padding: .8rem 1rem;
  border: 2px solid var(--danger);
  border-radius: 12px;
  background: var(--danger-bg);
  color: var(--text);
}
.notice strong { color: var(--danger); }
.outcome .icon {
  display: grid;
  place-items: center;
  width: 2.75rem;
  height: 2.75rem;
  margin-bottom: .7rem;
  border-radius: 50%;
  font-size: 1.5rem;
  font-weight: 800;
  line-height: 1;
}
.outcome h1 { font-size: 1.6rem; line-height: 1.2; }
.outcome-ok .icon { background: var(--ok-bg); color: var(--ok); }
.outcome-ok h1 { color: var(--ok); }
.outcome-stop .icon { background: var(--danger-bg); color: var(--danger); }
.outcome-stop h1 { color: var(--danger); }
.outcome-info .icon { background: var(--warn-bg); color: var(--warn); }
.summary .amount { font-size: 1.9rem; }
.summary .address { font-size: 1.05rem; }
.fine { color: var(--muted); font-size: .9rem; text-align: center; margin: 1.25rem .5rem 0; }
`;

const PAGE_JS = `'use strict';
(function () {
  var DATE = { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' };
  var CLOCK = { timeZone: 'UTC', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' };

  function zone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return undefined; }
  }

  function duration(ms) {
    var unit = function (n, name) { return n + ' ' + name + (n === 1 ? '' : 's'); };
    var seconds = Math.round(Math.abs(ms) / 1000);
    if (seconds < 60) return unit(seconds, 'second');
    var minutes = Math.round(seconds / 60);
    if (minutes < 90) return unit(minutes, 'minute');
    var hours = Math.round(minutes / 60);
    if (hours < 48) return unit(hours, 'hour');
    return unit(Math.round(hours / 24), 'day');
  }

  function relative(at) {
    var ms = at.getTime() - Date.now();
    if (Math.abs(ms) < 45000) return ms > 0 ? 'in less than a minute' : 'just now';
    return ms > 0 ? 'in ' + duration(ms) : duration(ms) + ' ago';
  }

  /** Times arrive in UTC; where the browser knows its zone they are shown in it, UTC beside. */
  function localise(root) {
    var tz = zone();
    var local = tz && tz !== 'UTC' && tz !== 'Etc/UTC';
    root.querySelectorAll('time[data-local]').forEach(function (el) {
      var at = new Date(el.getAttribute('datetime'));
      if (isNaN(at.getTime()) || !local) return;
      try {
        el.textContent = new Intl.DateTimeFormat('en-GB', DATE).format(at) + ' (' + new Intl.DateTimeFormat('en-GB', CLOCK).format(at) + ')';
      } catch (e) { /* the UTC text stays */ }
    });
    tick(root);
  }

  function tick(root) {
    root.querySelectorAll('[data-relative]').forEach(function (el) {
      var at = new Date(el.getAttribute('data-relative'));
      if (isNaN(at.getTime())) return;
      el.textContent = el.hasAttribute('data-expires') && at.getTime() <= Date.now() ? 'expired' : relative(at);
    });
  }

  /** Sends a form where it points and shows the page that answers in place of this one's content. */
  var pressed = null;
  document.addEventListener('click', function (event) {
    var button = event.target instanceof Element ? event.target.closest('button[type=submit]') : null;
    if (button) pressed = button;
  });
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-enhance')) return;
    event.preventDefault();
    var submitter = event.submitter || pressed;
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { body.append(name, String(value)); });
    if (submitter && submitter.name) body.set(submitter.name, submitter.value);
    var buttons = form.querySelectorAll('button');
    buttons.forEach(function (b) { b.disabled = true; });
    form.setAttribute('aria-busy', 'true');
    fetch(form.getAttribute('action'), { method: 'POST', body: body, headers: { accept: 'text/html' }, credentials: 'same-origin', redirect: 'error' })
      .then(function (response) { return response.text(); })
      .then(function (text) {
        var answer = new DOMParser().parseFromString(text, 'text/html');
        var next = answer.querySelector('main');
        if (!next) throw new Error('no page in the answer');
        var main = document.querySelector('main');
        main.replaceWith(document.adoptNode(next));
        if (answer.title) document.title = answer.title;
        localise(next);
        var result = document.getElementById('result');
        if (result) { result.focus(); result.scrollIntoView({ block: 'center' }); }
      })
      .catch(function () {
        buttons.forEach(function (b) { b.disabled = false; });
        form.removeAttribute('aria-busy');
        var result = document.getElementById('result');
        if (result) {
          result.className = 'notice';
          result.textContent = 'Could not reach Countersign. Check your connection and try again.';
          result.focus();
        }
      });
  });

  localise(document);
  setInterval(function () { tick(document); }, 15000);
})();
`;

export interface PageAsset {
  body: string;
  contentType: string;
  /** A digest of the body: the ETag, and the version in the URL the pages use. */
  version: string;
}

function asset(body: string, contentType: string): PageAsset {
  return { body, contentType, version: createHash('sha256').update(body).digest('base64url').slice(0, 16) };
}

/** The files under /assets/, by name. */
export const PAGE_ASSETS = {
  'page.css': asset(PAGE_CSS + ANTI_PHISHING_CSS, 'text/css; charset=utf-8'),
  'page.js': asset(PAGE_JS, 'text/javascript; charset=utf-8'),
  'webauthn.js': asset(WEBAUTHN_BROWSER_BUNDLE, 'text/javascript; charset=utf-8'),
  'passkey-approval.js': asset(PASSKEY_APPROVAL_JS, 'text/javascript; charset=utf-8'),
} as const satisfies Record<string, PageAsset>;

export type PageAssetName = keyof typeof PAGE_ASSETS;

/** The URL a page links an asset by: its version in the query, so a new deployment is fetched afresh. */
export function assetUrl(name: PageAssetName): string {
  return `/assets/${name}?v=${PAGE_ASSETS[name].version}`;
}
