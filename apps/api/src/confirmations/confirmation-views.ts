import { ChallengePage } from '@app/database';
import { formatAmount, TokenFactor } from '@app/domain';
import { amountLine, destination, Html, htmlPage, markup, outcome, ShownWithdrawal, summaryCard, timeFact } from '../http/html-page';
import { LinkState } from './confirmation-page.service';

/** A challenge's withdrawal as its pages show it. */
export function shown(page: ChallengePage): ShownWithdrawal & { createdAt: Date; expiresAt: Date; requestIp: string | null } {
  const w = page.withdrawal;
  return { ...w, amount: formatAmount(w.amount) };
}

/** A message above the form after a refused answer (the choice is then still to be made). */
export interface FormNotice {
  heading: string;
  text: string;
}

/**
 * The confirmation page: amount and asset first and largest, the destination in blocks, when and from
 * where it was asked for, then a form that works without script — the match-code choice as a radio
 * group (when number matching is on), Approve, and "This wasn't me".
 */
export function confirmationPage(
  token: string,
  page: ChallengePage,
  options: { numberMatching: boolean; notice?: FormNotice; passkey?: boolean; antiPhishingCode?: string },
): string {
  const w = shown(page);
  const choices = options.numberMatching ? page.withdrawal.matchChoices : [];
  const now = new Date();
  const notice = options.notice
    ? markup`<div id="result" class="notice" role="alert" tabindex="-1"><strong>${options.notice.heading}</strong> ${options.notice.text}</div>`
    : markup`<div id="result" role="status" tabindex="-1"></div>`;
  const main = markup`<section class="card" aria-labelledby="withdrawal">
<h1 id="withdrawal"><span class="eyebrow">Confirm a withdrawal of</span> ${amountLine(w)}</h1>
<p class="network">on the ${w.network} network</p>
</section>
<section class="card" aria-labelledby="to">
<h2 class="label" id="to">To this address</h2>
${destination(w.address)}
<p class="hint">Compare every block with the address you meant to send to.</p>
</section>
<section class="card" aria-label="When and from where">
<dl class="facts">
<dt>Requested</dt><dd>${timeFact(w.createdAt, { now })}</dd>
<dt>Requested from</dt><dd><span class="mono">${w.requestIp ?? 'unknown'}</span></dd>
<dt>Link expires</dt><dd>${timeFact(w.expiresAt, { expires: true, now })}</dd>
</dl>
</section>
${notice}
<form class="card" method="post" action="/confirm/${token}#result" data-enhance>
${choices.length ? matchCodeChoice(choices) : ''}
<div class="actions">
${options.passkey ? passkeyApproval(token) : markup`<button type="submit" name="decision" value="approve" id="approve" class="primary">Approve withdrawal</button>`}
<p class="or">Did not ask for this? We stop it and freeze withdrawals on your account.</p>
<button type="submit" name="decision" value="deny" id="deny" class="danger">This wasn't me</button>
</div>
</form>
<p class="fine">Countersign never asks for your password or authenticator codes on this page.</p>`;
  return htmlPage(`Confirm this ${w.asset} withdrawal`, main, {
    antiPhishingCode: options.antiPhishingCode,
    scripts: options.passkey ? ['webauthn.js', 'passkey-approval.js'] : [],
  });
}

/**
 * Approve with the passkey: the page's script gets the request options, the authenticator signs a challenge
 * derived from this withdrawal, and the form sends the assertion with the hidden Approve button. Without
 * script there is no way to use a passkey, and the page says so; "This wasn't me" needs none.
 */
function passkeyApproval(token: string): Html {
  return markup`<input type="hidden" name="passkey" value="">
<button type="button" id="approve-passkey" class="primary" data-token="${token}">Approve with passkey</button>
<p class="passkey-status" id="passkey-status" role="status">Your passkey signs exactly this amount to this address.</p>
<noscript><p class="passkey-status problem">Approving with a passkey needs JavaScript, which is off in this browser.</p></noscript>
<button type="submit" name="decision" value="approve" id="approve" hidden>Approve</button>`;
}

/** An assertion that did not verify: the push confirmation is denied, so the withdrawal is stopped. */
export function passkeyRefusedPage(w?: ShownWithdrawal, antiPhishingCode?: string): string {
  return htmlPage(
    'Passkey not accepted: withdrawal stopped',
    outcome(
      'stop',
      'Passkey not accepted: withdrawal stopped',
      [
        'The passkey approval could not be verified for this withdrawal, so this confirmation was refused and the withdrawal stopped. It will not be sent, and the reserved funds are back in your account.',
        'If you did start it, request it again in the app and approve it with your own passkey on this page.',
      ],
      w && summaryCard('Stopped', w),
    ),
    { antiPhishingCode },
  );
}

/** The three numbers as a radio group: none is picked in advance, and the right one is not marked. */
function matchCodeChoice(choices: string[]): Html {
  const radios = choices.map((c) => markup`<label class="choice"><input type="radio" name="matchCode" value="${c}"><span>${c}</span></label>`);
  return markup`<fieldset aria-describedby="pick-hint">
<legend>Which number does your exchange app show?</legend>
<p class="hint" id="pick-hint">Pick the same one here, then approve. A wrong pick stops the withdrawal.</p>
<div class="choice-row">${radios}</div>
</fieldset>`;
}

const CHANNEL: Record<TokenFactor, string> = { email: 'email', push: 'phone notification' };

/** Approve went through: this factor is recorded; the withdrawal waits for the others. */
export function approvedPage(factor: TokenFactor, w?: ShownWithdrawal, antiPhishingCode?: string): string {
  return htmlPage(
    'Approved',
    outcome(
      'ok',
      'Approved',
      [
        `Your confirmation by ${CHANNEL[factor]} is recorded.`,
        'The withdrawal is sent once all three confirmations are in: the email link, the notification on your phone and your authenticator code. You can close this page.',
      ],
      w && summaryCard('You approved', w),
    ),
    { antiPhishingCode },
  );
}

/** "This wasn't me" went through: the withdrawal is stopped and the account's withdrawals frozen. */
export function stoppedPage(w?: ShownWithdrawal, antiPhishingCode?: string): string {
  return htmlPage(
    'Withdrawal stopped',
    outcome(
      'stop',
      'Withdrawal stopped',
      [
        'You told us this was not you. The withdrawal will not be sent, and the reserved funds are back in your account.',
        'Withdrawals on your account are now frozen and our security team has been alerted; they will contact you to unfreeze it. If someone else may know your exchange password, change it now.',
      ],
      w && summaryCard('You stopped', w),
    ),
    { antiPhishingCode },
  );
}

/** A wrong match code: the factor is denied, so the withdrawal is stopped. */
export function wrongCodePage(w?: ShownWithdrawal, antiPhishingCode?: string): string {
  return htmlPage(
    'Wrong number: withdrawal stopped',
    outcome(
      'stop',
      'Wrong number: withdrawal stopped',
      [
        'The number you picked is not the one your exchange app showed, so this confirmation was refused and the withdrawal stopped. It will not be sent, and the reserved funds are back in your account.',
        'If you did start it, request it again in the app and pick the number the app shows.',
      ],
      w && summaryCard('Stopped', w),
    ),
    { antiPhishingCode },
  );
}

const LINK_STATES: Record<Exclude<LinkState, 'usable'>, { tone: 'ok' | 'stop' | 'info'; heading: string; text: string[] }> = {
  unknown: {
    tone: 'info',
    heading: 'This link is not valid',
    text: [
      'Check that you opened the whole link from your most recent email or notification.',
      'Each link works once, and only until its withdrawal expires.',
    ],
  },
  used: {
    tone: 'info',
    heading: 'This link was already used',
    text: ['Each confirmation link works once. Nothing more is needed from this link.'],
  },
  approved: {
    tone: 'ok',
    heading: 'Already approved',
    text: ['This confirmation is recorded. The withdrawal is sent once the other confirmations are in.'],
  },
  posted: {
    tone: 'ok',
    heading: 'Withdrawal confirmed and sent',
    text: ['All three confirmations were given and the withdrawal was sent. Nothing more is needed.'],
  },
  denied: {
    tone: 'stop',
    heading: 'This withdrawal was stopped',
    text: ['It will not be sent, and the reserved funds are back in your account.'],
  },
  expired: {
    tone: 'info',
    heading: 'This link has expired',
    text: [
      'The withdrawal was not confirmed in time, so it will not be sent and the reserved funds are back in your account.',
      'If you still want it, request it again in your exchange app.',
    ],
  },
  ended: {
    tone: 'info',
    heading: 'No longer waiting for confirmation',
    text: ['This withdrawal was cancelled or is with our operators. Nothing is needed from this link.'],
  },
};

/** Why a link cannot be used (answered with 410). */
export function linkStatePage(state: Exclude<LinkState, 'usable'>, antiPhishingCode?: string): string {
  const { tone, heading, text } = LINK_STATES[state];
  return htmlPage(heading, outcome(tone, heading, text), { antiPhishingCode });
}
