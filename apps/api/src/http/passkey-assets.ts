import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * @simplewebauthn/browser's own bundle, served by the API (/assets/webauthn.js) so that the pages' CSP can
 * stay at script-src 'self': no CDN. Read once from the installed package (a production dependency).
 */
export const WEBAUTHN_BROWSER_BUNDLE = readFileSync(
  join(dirname(require.resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle', 'index.umd.min.js'),
  'utf8',
);

/** The anti-phishing code, in the same place on every page: right under the Countersign bar. */
export const ANTI_PHISHING_CSS = `.anti-phishing {
  margin: 0 auto;
  max-width: 34rem;
  padding: .55rem 1rem;
  border-bottom: 1px solid var(--line);
  background: var(--card);
  color: var(--muted);
  font-size: .95rem;
}
.anti-phishing strong { color: var(--text); font-family: var(--mono); letter-spacing: .02em; }
.passkey-status { margin: .5rem 0 0; color: var(--muted); }
.passkey-status.problem { color: var(--danger); font-weight: 600; }
button[hidden] { display: none; }
`;

/**
 * The confirmation page's passkey approval: with the match code picked, it asks the API for the request
 * options (their challenge bound to this withdrawal), lets the browser and authenticator sign, puts the
 * assertion in the form and sends it with Approve — the same form, enhanced by page.js. Without passkey
 * support it says so; "This wasn't me" works regardless.
 */
export const PASSKEY_APPROVAL_JS = `'use strict';
(function () {
  function say(text, problem) {
    var status = document.getElementById('passkey-status');
    if (!status) return;
    status.textContent = text;
    status.className = problem ? 'passkey-status problem' : 'passkey-status';
  }

  var NO_PASSKEY = 'No passkey was used: it was cancelled, it timed out, or this device holds none of your passkeys. Nothing was changed. ' +
    'Open this link on the device where you registered your passkey. If you did not ask for this withdrawal, press "This wasn\\'t me".';

  document.addEventListener('click', function (event) {
    var button = event.target instanceof Element ? event.target.closest('#approve-passkey') : null;
    if (!button) return;
    event.preventDefault();
    var form = button.form;
    if (form.querySelector('input[name=matchCode]') && !form.querySelector('input[name=matchCode]:checked')) {
      say('Pick the number your exchange app shows first.', true);
      return;
    }
    var webauthn = window.SimpleWebAuthnBrowser;
    if (!webauthn || !webauthn.browserSupportsWebAuthn()) {
      say('This browser cannot use passkeys. Open this link on the device that holds your passkey. If you did not ask for this withdrawal, press "This wasn\\'t me".', true);
      return;
    }
    button.disabled = true;
    say('Use your passkey to sign this withdrawal\\u2026', false);
    fetch('/v1/confirmations/passkey-options', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token: button.getAttribute('data-token') }),
      credentials: 'same-origin',
    })
      .then(function (response) {
        if (!response.ok) throw new Error('options');
        return response.json();
      })
      .then(function (options) { return webauthn.startAuthentication({ optionsJSON: options }); })
      .then(function (assertion) {
        form.querySelector('input[name=passkey]').value = JSON.stringify(assertion);
        form.requestSubmit(document.getElementById('approve'));
      })
      .catch(function (error) {
        button.disabled = false;
        if (error && error.message === 'options') say('This link can no longer be used. Reload the page to see why.', true);
        else say(NO_PASSKEY, true);
      });
  });
})();
`;
