import { FinalStatus, WithdrawalStatus } from '@app/domain';
import { SecurityChange } from '@app/database';
import { SecurityAlert } from '@app/queue';
import escape from 'escape-html';
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
}

function layout(title: string, lines: string[], action?: { label: string; url: string }): { text: string; html: string } {
  const text = [title, '', ...lines, ...(action ? ['', `${action.label}: ${action.url}`] : [])].join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<h2>${escape(title)}</h2>${lines.map((l) => `<p>${escape(l)}</p>`).join('')}
${action ? `<p><a href="${escape(action.url)}">${escape(action.label)}</a></p>` : ''}</body></html>`;
  return { text, html };
}

function describe(w: WithdrawalDetails): string[] {
  return [
    `Amount: ${w.amount} ${w.asset} on ${w.network}`,
    `Destination: ${w.address}`,
    `Requested: ${w.createdAt.toISOString()}`,
    `Reference: ${w.id}`,
  ];
}

export function challengeMail(to: string, w: WithdrawalDetails, url: string): OutgoingMail {
  const body = layout(
    `Confirm your ${w.asset} withdrawal`,
    [
      ...describe(w),
      `Open the link, pick the code shown in your exchange app, and approve — or tell us it wasn't you.`,
      `The link works once and expires at ${w.expiresAt.toISOString()}.`,
    ],
    { label: 'Review this withdrawal', url },
  );
  return { to, subject: `Confirm your withdrawal of ${w.amount} ${w.asset}`, ...body };
}

const OUTCOME_TITLES: Record<Exclude<FinalStatus, 'cancelled'>, string> = {
  posted: 'Your withdrawal was confirmed and sent',
  denied: 'Your withdrawal was stopped',
  expired: 'Your withdrawal expired unconfirmed',
  rejected: 'Your withdrawal was rejected by our operators',
};

export function outcomeMail(to: string, w: WithdrawalDetails & { status: keyof typeof OUTCOME_TITLES }): OutgoingMail {
  const title = OUTCOME_TITLES[w.status];
  const lines = [...describe(w), `Status: ${w.status}${w.reason ? ` (${w.reason.replace(/_/g, ' ')})` : ''}`];
  if (w.status !== 'posted') lines.push('The reserved funds are available in your account again.');
  return { to, subject: `${title}: ${w.amount} ${w.asset}`, ...layout(title, lines) };
}

export function verificationMail(to: string, url: string): OutgoingMail {
  return {
    to,
    subject: 'Verify your email address for withdrawal confirmations',
    ...layout('Verify your email address', ['Withdrawal confirmations will be sent to this address.'], {
      label: 'Verify this address',
      url,
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

export function alertMail(to: string, alert: SecurityAlert, w?: WithdrawalDetails): OutgoingMail {
  const { subject, lines } = ALERTS[alert];
  return { to, subject, ...layout(subject, [...lines, ...(w ? describe(w) : [])]) };
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

/** A security notice: a change to the account, sent to the old address, with a link to say it was not the customer. */
export function noticeMail(to: string, change: SecurityChange, at: Date, url: string): OutgoingMail {
  const title = CHANGE_NAMES[change];
  return {
    to,
    subject: `Security notice: ${title.toLowerCase()}`,
    ...layout(
      title,
      [
        `When: ${at.toISOString()}`,
        'If this was you, there is nothing to do. Withdrawals are paused for a while after a change, as a precaution.',
        'If this was not you, open the link below and tell us: withdrawals on your account will be frozen at once.',
      ],
      { label: "This wasn't me", url },
    ),
  };
}
