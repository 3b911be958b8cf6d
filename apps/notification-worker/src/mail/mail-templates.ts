import { durationInWords, EndReason, FinalStatus, Html, inGroups, markup, timeForCustomer, WithdrawalStatus } from '@app/domain';
import { SecurityChange } from '@app/database';
import { OperatorAlert, OperatorAlertFacts, SecurityAlert } from '@app/queue';
import { OutgoingMail } from './mailer';

export interface WithdrawalDetails {
  id: string;
  asset: string;
  network: string;
  amount: string;
  address: string;
  createdAt: Date;
  expiresAt: Date;
  status: WithdrawalStatus;
  reason: string | null;
  /** Where the withdrawal was requested from, when known. */
  requestIp?: string | null;
  /** The customer's IANA time zone, when known: times are then shown in it, with UTC beside. */
  timeZone?: string | null;
}

/**
 * Every email: an HTML part and a plain-text part saying the same facts in the same order as the
 * confirmation page — amount and asset first and largest, network, the destination in blocks of four
 * (in full as well, in the text), when and from where it was requested — then what to do. Everything
 * that comes from data is escaped (the `markup` tag escapes each value); no image, font or style sheet is
 * fetched from anywhere.
 */

const COLOURS = {
  page: '#eef1f5',
  card: '#ffffff',
  line: '#cfd6df',
  text: '#111827',
  muted: '#4b5563',
  group: '#e7ebf1',
  primary: '#1d4ed8',
  danger: '#b42318',
};
const SANS = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const MONO = "ui-monospace, 'SF Mono', Menlo, Consolas, 'Liberation Mono', 'DejaVu Sans Mono', monospace";

/** One fact: a label, its value in the text part, and its value in the HTML part. */
interface Fact {
  label: string;
  text: string;
  html: Html | string;
}

/** What one email says, before it becomes its two parts. */
interface MailContent {
  /** The heading (and the page title). */
  title: string;
  /** Shown first and largest, when the mail is about a withdrawal. */
  withdrawal?: WithdrawalDetails;
  /** Paragraphs before the facts. */
  intro?: string[];
  /** Facts after amount, network and destination. */
  facts?: Fact[];
  /** Paragraphs after the facts. */
  lines?: string[];
  action?: { label: string; url: string };
  /** Paragraphs after the action. */
  after?: string[];
  /** The customer's own phrase: first in every mail, in the same place, so a look-alike without it stands out. */
  antiPhishingCode?: string | null;
}

const label = (text: string) =>
  markup`<p style="margin:16px 0 4px;color:${COLOURS.muted};font-size:12px;font-weight:700;letter-spacing:.06em;text-transform:uppercase">${text}</p>`;

/** The address in blocks of four, every other one shaded; spaces between them, none inside one. */
function groupsHtml(address: string): Html {
  const groups = inGroups(address).map((group, i) => {
    const shade = i % 2 === 0 ? `;background:${COLOURS.group}` : '';
    return markup`<span style="white-space:nowrap;padding:1px 3px;border-radius:4px${shade}">${group}</span> `;
  });
  return markup`<p style="margin:0;font-family:${MONO};font-size:17px;font-weight:600;line-height:1.7;color:${COLOURS.text}">${groups}</p>`;
}

/** Amount, network and destination: first, in this order, as on the page. */
function headlineFacts(w: WithdrawalDetails): { text: string[]; html: Html } {
  return {
    text: [
      `Amount:          ${w.amount} ${w.asset}`,
      `Network:         ${w.network}`,
      `To:              ${w.address}`,
      `                 ${inGroups(w.address).join(' ')}`,
    ],
    html: markup`<p style="margin:0;font-size:32px;line-height:1.15;font-weight:800;color:${COLOURS.text};word-break:break-all">${w.amount} ${w.asset}</p>
<p style="margin:4px 0 0;color:${COLOURS.muted}">on the ${w.network} network</p>
${label('To this address')}${groupsHtml(w.address)}`,
  };
}

/** When and from where it was requested: after the destination, as on the page. */
function requestFacts(w: WithdrawalDetails): Fact[] {
  const requested = timeForCustomer(w.createdAt, w.timeZone);
  return [
    { label: 'Requested', text: requested, html: requested },
    ...(w.requestIp ? [{ label: 'Requested from', text: w.requestIp, html: markup`<span style="font-family:${MONO}">${w.requestIp}</span>` }] : []),
  ];
}

function paragraphsHtml(lines: string[] | undefined): Html {
  return markup`${(lines ?? []).map((line) => markup`<p style="margin:12px 0 0;line-height:1.5">${line}</p>`)}`;
}

function render(content: MailContent): { text: string; html: string } {
  const w = content.withdrawal;
  const headline = w && headlineFacts(w);
  const facts = content.facts ?? [];
  // A mail about a withdrawal leads with its amount, the heading above it small; an alert leads with its words.
  const amountFirst = !!w && !content.intro?.length;
  const width = 17;
  const code = content.antiPhishingCode;
  const text = [
    ...(code ? [`Your anti-phishing code: ${code}`, ''] : []),
    content.title,
    '',
    ...(content.intro?.length ? [...content.intro, ''] : []),
    ...(headline ? headline.text : []),
    ...facts.map((f) => `${`${f.label}:`.padEnd(width)}${f.text}`),
    ...(content.lines?.length ? ['', ...content.lines] : []),
    ...(content.action ? ['', `${content.action.label}: ${content.action.url}`] : []),
    ...(content.after?.length ? ['', ...content.after] : []),
    ...(w ? ['', `Reference: ${w.id}`] : []),
    '',
    '-- ',
    'Countersign, withdrawal security',
  ].join('\n');

  const heading = amountFirst ? `font-size:17px;color:${COLOURS.muted}` : `font-size:22px;color:${COLOURS.text}`;
  const factsHtml = facts.map((f) => markup`${label(f.label)}<p style="margin:0;line-height:1.5">${f.html}</p>`);
  const action = content.action
    ? markup`<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="100%" style="margin:22px 0 0"><tr><td align="center" style="background:${COLOURS.primary};border-radius:12px"><a href="${content.action.url}" style="display:block;padding:14px 16px;color:#ffffff;font-size:17px;font-weight:800;text-decoration:none">${content.action.label}</a></td></tr></table>
<p style="margin:10px 0 0;font-size:13px;line-height:1.5;color:${COLOURS.muted}">Or open this link: <span style="word-break:break-all">${content.action.url}</span></p>`
    : '';
  const reference = w ? markup`Reference: <span style="font-family:${MONO}">${w.id}</span><br>` : '';
  const body = markup`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light"><title>${content.title}</title></head>
<body style="margin:0;padding:0;background:${COLOURS.page};color:${COLOURS.text};font-family:${SANS};font-size:16px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:${COLOURS.page}"><tr><td align="center" style="padding:16px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:480px;background:${COLOURS.card};border:1px solid ${COLOURS.line};border-radius:14px">
<tr><td style="padding:16px 20px 0;font-size:14px;font-weight:700">Countersign <span style="color:${COLOURS.muted};font-weight:400">· withdrawal security</span></td></tr>
${code ? markup`<tr><td style="padding:8px 20px 0;font-size:14px;color:${COLOURS.muted}">Your anti-phishing code: <strong style="color:${COLOURS.text};font-family:${MONO}">${code}</strong></td></tr>` : ''}
<tr><td style="padding:12px 20px 22px">
<h1 style="margin:0 0 4px;line-height:1.3;font-weight:700;${heading}">${content.title}</h1>
${paragraphsHtml(content.intro)}
${headline ? markup`${amountFirst ? '' : label('The withdrawal')}${headline.html}` : ''}
${factsHtml}
${paragraphsHtml(content.lines)}
${action}
${paragraphsHtml(content.after)}
</td></tr></table>
<p style="margin:12px 0 0;font-size:12px;line-height:1.5;color:${COLOURS.muted}">${reference}Countersign, withdrawal security</p>
</td></tr></table>
</body></html>
`;
  return { text, html: body.value };
}

export function challengeMail(to: string, w: WithdrawalDetails, url: string, antiPhishingCode?: string | null): OutgoingMail {
  const expires = timeForCustomer(w.expiresAt, w.timeZone);
  const window = durationInWords(w.expiresAt.getTime() - w.createdAt.getTime());
  const body = render({
    title: `Confirm your ${w.asset} withdrawal`,
    withdrawal: w,
    facts: [
      ...requestFacts(w),
      { label: 'Link expires', text: `${expires} (${window} after the request)`, html: `${expires}, ${window} after the request` },
    ],
    lines: [
      'Open the link, pick the number your exchange app shows, and approve. If you did not ask for this withdrawal, open the link and press "This wasn\'t me".',
    ],
    action: { label: 'Review this withdrawal', url },
    after: ['The link works once. Countersign never asks for your password or authenticator codes.'],
    antiPhishingCode,
  });
  return { to, subject: `Confirm your withdrawal of ${w.amount} ${w.asset}`, ...body };
}

const OUTCOME_TITLES: Record<Exclude<FinalStatus, 'cancelled'>, string> = {
  posted: 'Your withdrawal was confirmed and sent',
  denied: 'Your withdrawal was stopped',
  expired: 'Your withdrawal expired unconfirmed',
  rejected: 'Your withdrawal was rejected by our operators',
};

const OUTCOME_STATUS: Record<Exclude<FinalStatus, 'cancelled'>, string> = {
  posted: 'Sent',
  denied: 'Stopped',
  expired: 'Expired',
  rejected: 'Rejected',
};

/** Why a withdrawal ended, in words; an operator's own words (a rejection) are shown as they are. */
const REASONS: Record<EndReason, string> = {
  confirmation_window_passed: 'not confirmed in time',
  denied_by_customer: 'a confirmation was refused: "This wasn\'t me", or a wrong number picked',
  totp_locked: 'too many wrong authenticator codes',
  details_changed: 'its details changed after it was requested',
  account_frozen: 'withdrawals on the account are frozen',
  cancelled_by_customer: 'cancelled',
  totp_revoked: 'authenticator enrolments were revoked',
  security_change: 'a security setting of the account changed after it was requested',
  passkey_required: 'a withdrawal of this size must be approved with a passkey',
};

const OUTCOME_LINES: Record<Exclude<FinalStatus, 'cancelled'>, string[]> = {
  posted: ['All three confirmations were given, and the withdrawal was handed over for sending.'],
  denied: ['It will not be sent.'],
  expired: ['It was not confirmed in time, so it will not be sent. If you still want it, request it again in your exchange app.'],
  rejected: ['It will not be sent.'],
};

export function outcomeMail(
  to: string,
  w: WithdrawalDetails & { status: keyof typeof OUTCOME_TITLES },
  antiPhishingCode?: string | null,
): OutgoingMail {
  const title = OUTCOME_TITLES[w.status];
  const reason = w.reason && (Object.hasOwn(REASONS, w.reason) ? REASONS[w.reason as EndReason] : w.reason);
  const status = `${OUTCOME_STATUS[w.status]}${reason ? ` (${reason})` : ''}`;
  const lines = [...OUTCOME_LINES[w.status], ...(w.status !== 'posted' ? ['The reserved funds are available in your account again.'] : [])];
  const body = render({
    title,
    withdrawal: w,
    facts: [...requestFacts(w), { label: 'Status', text: status, html: status }],
    lines,
    antiPhishingCode,
  });
  return { to, subject: `${title}: ${w.amount} ${w.asset}`, ...body };
}

export function verificationMail(to: string, url: string, antiPhishingCode?: string | null): OutgoingMail {
  return {
    to,
    subject: 'Verify your email address for withdrawal confirmations',
    ...render({
      title: 'Verify your email address',
      intro: ['Withdrawal confirmations will be sent to this address once you verify it.'],
      action: { label: 'Verify this address', url },
      after: ['Did not ask for this? Ignore this email: nothing changes unless you open the link and press the button.'],
      antiPhishingCode,
    }),
  };
}

const ALERTS: Record<SecurityAlert, { subject: string; lines: string[] }> = {
  totp_code_reused: {
    subject: 'Security alert: an authenticator code was used twice',
    lines: [
      'Someone submitted an authenticator code that had already been used on your account. It was refused.',
      'If this was not you, change your password and re-enrol your authenticator.',
    ],
  },
  withdrawal_denied_not_me: {
    subject: 'Security alert: withdrawals frozen on your account',
    lines: [
      'You reported a withdrawal as not yours. It was stopped and withdrawals on your account are frozen.',
      'Our operators have been alerted and will contact you to unfreeze the account.',
    ],
  },
  security_change_reported: {
    subject: 'Security alert: withdrawals frozen on your account',
    lines: [
      'You reported a change to your security settings as not yours. Withdrawals on your account are frozen, and those in flight were stopped.',
      'Our operators have been alerted and will contact you to restore your settings and unfreeze the account.',
    ],
  },
};

export function alertMail(to: string, alert: SecurityAlert, w?: WithdrawalDetails, antiPhishingCode?: string | null): OutgoingMail {
  const { subject, lines } = ALERTS[alert];
  const body = w
    ? render({ title: subject, intro: lines, withdrawal: w, facts: requestFacts(w), antiPhishingCode })
    : render({ title: subject, intro: lines, antiPhishingCode });
  return { to, subject, ...body };
}

/** What each kind of change is called in a notice. */
export const CHANGE_NAMES: Record<SecurityChange, string> = {
  email: 'Your email address for withdrawal confirmations is being changed',
  totp: 'A new authenticator was set up for your account',
  'push-device': 'The devices that confirm your withdrawals changed',
  address: 'Your withdrawal addresses changed',
  passkey: 'The passkeys of your account changed',
  'anti-phishing-code': 'Your anti-phishing code changed',
};

/** A security notice: a change to the account, told on the channels it had before, with a link to say it was not the customer. */
export function noticeMail(
  to: string,
  change: SecurityChange,
  at: Date,
  url: string,
  timeZone?: string | null,
  antiPhishingCode?: string | null,
): OutgoingMail {
  const title = CHANGE_NAMES[change];
  const when = timeForCustomer(at, timeZone);
  return {
    to,
    subject: `Security notice: ${title.toLowerCase()}`,
    ...render({
      title,
      facts: [{ label: 'When', text: when, html: when }],
      lines: [
        'If this was you, there is nothing to do. Withdrawals are paused for a while after a change, as a precaution, and any withdrawal in flight was stopped.',
        'If this was not you, open the link and say so: withdrawals on your account will be frozen at once, and our operators will contact you.',
      ],
      action: { label: "This wasn't me", url },
      antiPhishingCode,
    }),
  };
}

/** What an operators' alert says: the control that tripped, the figures, and where to decide. */
export interface OperatorAlertContent {
  alert: OperatorAlert;
  facts: OperatorAlertFacts;
  /** The held withdrawal, for a hold. */
  withdrawal?: WithdrawalDetails;
  /** What the anomaly counted: the shared address, device or destination. */
  key?: string;
  reviewUrl: string;
}

const ANOMALY_WORDS: Partial<Record<OperatorAlert, string>> = {
  anomaly_ip: 'from one IP address',
  anomaly_device: 'from one device (X-Device-Id)',
  anomaly_destination: 'to one destination address',
};

/** To OPERATOR_ALERT_EMAIL: a withdrawal held by the risk controls (one mail per anomaly key per window), or the automatic pause. */
export function operatorAlertMail(to: string, content: OperatorAlertContent): OutgoingMail {
  const { alert, facts, withdrawal } = content;
  const fact = (name: string) => String(facts[name] ?? '?');
  if (alert === 'automatic_pause') {
    const subject = 'Risk alert: all withdrawals paused automatically';
    return {
      to,
      subject,
      ...render({
        title: subject,
        intro: [
          `${fact('lastMinute')} withdrawals were requested in the last minute: more than ${fact('factor')} × the trailing hour's mean of ${fact('trailingHourPerMinute')} a minute, and at least ${fact('minPerMinute')}.`,
          'Every withdrawal is paused: none is accepted and none posts. Confirmations are still recorded. Only an operator can resume.',
        ],
        action: { label: 'Review held withdrawals', url: content.reviewUrl },
      }),
    };
  }
  const subject = `Risk alert: withdrawals held (${alert})`;
  const intro =
    alert === 'velocity'
      ? [
          `A customer's withdrawals of ${fact('asset')} in 24 hours would reach ${fact('total')}, above the limit of ${fact('limit')}. This withdrawal is held for review.`,
        ]
      : [
          `${fact('distinctAccounts')} distinct customers requested withdrawals ${ANOMALY_WORDS[alert] ?? ''} within ${fact('window')} (more than ${fact('maxAccounts')} are not allowed): this withdrawal and every further one matching it in the window are held for review.`,
          `Shared: ${content.key ?? '?'}`,
          'This is the only email about this key in the window; the review queue lists every withdrawal it holds.',
        ];
  const requested: Fact[] = withdrawal ? requestFacts(withdrawal) : [];
  return {
    to,
    subject,
    ...render({ title: subject, intro, withdrawal, facts: requested, action: { label: 'Open the review queue', url: content.reviewUrl } }),
  };
}
