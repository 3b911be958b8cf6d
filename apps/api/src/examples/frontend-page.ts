import { Html, markup } from '../http/html-page';

/**
 * A minimal exchange frontend for developers (GET /examples/frontend.html): paste a customer's bearer token,
 * then register this browser for push, register and list passkeys, set the anti-phishing code, and request
 * a withdrawal and follow its status live (the event stream) — each
 * through the public API exactly as a real frontend would. Self-contained: its own script and style, served
 * beside it under the pages' CSP (script and style from this origin only).
 */
export function frontendPage(): Html {
  return markup`<section class="card example" aria-labelledby="example">
<h1 id="example">Example frontend</h1>
<p class="hint">What an exchange frontend does for a signed-in customer. Paste the customer's bearer token; changes to a customer who has an authenticator need a current TOTP code.</p>
<label for="bearer">Bearer token</label>
<textarea id="bearer" rows="3" autocomplete="off" spellcheck="false"></textarea>
<label for="totp">TOTP code (for changes)</label>
<input id="totp" inputmode="numeric" autocomplete="one-time-code" maxlength="6">
</section>
<section class="card example" aria-labelledby="push">
<h2 id="push">This device for push</h2>
<button type="button" id="subscribe-push" class="primary">Register the service worker and subscribe</button>
</section>
<section class="card example" aria-labelledby="passkeys">
<h2 id="passkeys">Passkeys</h2>
<label for="passkey-label">Name</label>
<input id="passkey-label" value="this device" maxlength="64">
<button type="button" id="register-passkey" class="primary">Register a passkey</button>
<ul id="passkey-list" class="passkey-list"></ul>
<button type="button" id="list-passkeys">Refresh the list</button>
</section>
<section class="card example" aria-labelledby="code">
<h2 id="code">Anti-phishing code</h2>
<p class="hint">4 to 20 letters, digits or spaces. Every email, push and page from Countersign will show it.</p>
<label for="anti-phishing-code">Your code</label>
<input id="anti-phishing-code" maxlength="20" autocomplete="off">
<button type="button" id="set-anti-phishing-code" class="primary">Set the anti-phishing code</button>
</section>
<section class="card example" aria-labelledby="withdraw">
<h2 id="withdraw">A withdrawal, live</h2>
<p class="hint">Requests a withdrawal and follows its status document as it changes (GET /v1/withdrawals/:id/events), as a frontend shows it while the customer confirms by email, push and authenticator.</p>
<label for="address-id">Address id</label>
<input id="address-id" autocomplete="off" spellcheck="false">
<label for="amount">Amount</label>
<input id="amount" inputmode="decimal" value="0.01" autocomplete="off">
<button type="button" id="request-withdrawal" class="primary">Request the withdrawal</button>
<label for="withdrawal-id">Or follow an existing withdrawal (its id)</label>
<input id="withdrawal-id" autocomplete="off" spellcheck="false">
<button type="button" id="follow-withdrawal">Follow it</button>
<div id="live" class="live" aria-live="polite" hidden>
<p class="match">Match code <strong id="live-match"></strong></p>
<p>Status <strong id="live-status"></strong></p>
<ul class="live-factors"><li>Email <strong id="live-email"></strong></li><li>Push <strong id="live-push"></strong></li><li>Authenticator <strong id="live-totp"></strong></li></ul>
</div>
</section>
<div id="output" role="status" tabindex="-1"></div>`;
}

export const FRONTEND_CSS = `.example label { display: block; margin: .8rem 0 .3rem; font-weight: 600; }
.example input, .example textarea {
  box-sizing: border-box;
  width: 100%;
  padding: .6rem .7rem;
  border: 1px solid var(--line);
  border-radius: 10px;
  background: var(--card);
  color: var(--text);
  font: inherit;
}
.example textarea { font-family: var(--mono); font-size: .8rem; }
.example button { margin-top: .9rem; width: 100%; }
.passkey-list { padding-left: 1.2rem; }
.live .match strong { font-family: var(--mono); font-size: 2rem; letter-spacing: .1em; }
.live-factors { padding-left: 1.2rem; }
#output { margin: 1rem 0; padding: .8rem 1rem; border-radius: 12px; border: 2px solid var(--line); background: var(--card); }
#output.ok { border-color: var(--ok); }
#output.problem { border-color: var(--danger); }
`;

export const FRONTEND_JS = `'use strict';
(function () {
  function $(id) { return document.getElementById(id); }
  function say(text, problem) {
    var out = $('output');
    out.textContent = text;
    out.className = problem ? 'problem' : 'ok';
  }
  function api(method, path, body) {
    var headers = { authorization: 'Bearer ' + $('bearer').value.trim(), accept: 'application/json' };
    if (body) headers['content-type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined }).then(function (response) {
      return response.text().then(function (text) {
        var data = text ? JSON.parse(text) : null;
        if (!response.ok) throw new Error(data && data.code ? data.code + ': ' + data.detail : 'HTTP ' + response.status);
        return data;
      });
    });
  }
  function withCode(body) {
    var code = $('totp').value.trim();
    if (code) body.totpCode = code;
    return body;
  }
  function showPasskeys() {
    return api('GET', '/v1/me/passkeys').then(function (items) {
      var list = $('passkey-list');
      list.textContent = '';
      items.forEach(function (p) {
        var item = document.createElement('li');
        item.textContent = p.label + ' (added ' + new Date(p.createdAt).toLocaleString() + (p.lastUsedAt ? ', last used ' + new Date(p.lastUsedAt).toLocaleString() : '') + ')';
        list.appendChild(item);
      });
      if (!items.length) list.textContent = 'No passkey yet.';
    });
  }

  $('register-passkey').addEventListener('click', function () {
    var webauthn = window.SimpleWebAuthnBrowser;
    if (!webauthn || !webauthn.browserSupportsWebAuthn()) return say('This browser cannot use passkeys.', true);
    say('Asking Countersign for the creation options\\u2026');
    api('POST', '/v1/me/passkeys/registration-options', withCode({}))
      .then(function (options) { return webauthn.startRegistration({ optionsJSON: options }); })
      .then(function (response) { return api('POST', '/v1/me/passkeys', { response: response, label: $('passkey-label').value }); })
      .then(function (passkey) { say('Passkey registered: ' + passkey.label); return showPasskeys(); })
      .catch(function (error) { say('No passkey registered: ' + error.message, true); });
  });

  $('list-passkeys').addEventListener('click', function () {
    showPasskeys().catch(function (error) { say('Could not list passkeys: ' + error.message, true); });
  });

  $('set-anti-phishing-code').addEventListener('click', function () {
    api('PUT', '/v1/me/anti-phishing-code', withCode({ code: $('anti-phishing-code').value }))
      .then(function () { say('Anti-phishing code set: every email, push and page from Countersign shows it from now on.'); })
      .catch(function (error) { say('Code not set: ' + error.message, true); });
  });

  // EventSource cannot send a bearer token, so the stream is read with fetch: blocks split by a blank line,
  // "event:" and "data:" lines; comment lines (heartbeats) start with ":".
  var following = null;
  function show(doc) {
    $('live').hidden = false;
    $('live-match').textContent = doc.matchCode || '';
    $('live-status').textContent = doc.status;
    $('live-email').textContent = doc.factors.email;
    $('live-push').textContent = doc.factors.push;
    $('live-totp').textContent = doc.factors.totp;
  }
  function follow(id) {
    if (following) following.abort();
    following = new AbortController();
    var decoder = new TextDecoder();
    var buffer = '';
    return fetch('/v1/withdrawals/' + encodeURIComponent(id) + '/events', {
      headers: { authorization: 'Bearer ' + $('bearer').value.trim(), accept: 'text/event-stream' },
      signal: following.signal,
    }).then(function (response) {
      if (!response.ok) return response.json().then(function (p) { throw new Error(p.code + ': ' + p.detail); });
      var reader = response.body.getReader();
      function read() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return say('The stream ended: the withdrawal is ' + $('live-status').textContent + '.');
          buffer += decoder.decode(chunk.value, { stream: true });
          var end;
          while ((end = buffer.indexOf('\\n\\n')) >= 0) {
            var block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            var data = /^data: (.*)$/m.exec(block);
            if (/^event: status$/m.test(block) && data) show(JSON.parse(data[1]));
          }
          return read();
        });
      }
      return read();
    });
  }
  function followAndSay(id) {
    follow(id).catch(function (error) { if (error.name !== 'AbortError') say('Cannot follow the withdrawal: ' + error.message, true); });
  }

  $('request-withdrawal').addEventListener('click', function () {
    var key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
    fetch('/v1/withdrawals', {
      method: 'POST',
      headers: { authorization: 'Bearer ' + $('bearer').value.trim(), 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ addressId: $('address-id').value.trim(), amount: $('amount').value.trim() }),
    })
      .then(function (response) { return response.json().then(function (doc) { if (!response.ok) throw new Error(doc.code + ': ' + doc.detail); return doc; }); })
      .then(function (doc) {
        $('withdrawal-id').value = doc.id;
        show(doc);
        say('Requested: confirm it by email, push and authenticator; pick ' + doc.matchCode + ' on the email and push pages.');
        followAndSay(doc.id);
      })
      .catch(function (error) { say('Not requested: ' + error.message, true); });
  });

  $('follow-withdrawal').addEventListener('click', function () {
    followAndSay($('withdrawal-id').value.trim());
  });

  $('subscribe-push').addEventListener('click', function () {
    if (!('serviceWorker' in navigator) || !('PushManager' in window)) return say('This browser has no web push.', true);
    say('Registering the service worker\\u2026');
    navigator.serviceWorker.register('/push/sw.js', { scope: '/' })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        return api('GET', '/v1/push/vapid-public-key').then(function (key) {
          return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key.publicKey });
        });
      })
      .then(function (subscription) {
        var json = subscription.toJSON();
        return api('POST', '/v1/me/push-subscriptions', withCode({ endpoint: json.endpoint, keys: json.keys }));
      })
      .then(function (device) { say('This device gets confirmation pushes (device ' + device.id + ').'); })
      .catch(function (error) { say('Push not set up: ' + error.message, true); });
  });
})();
`;
