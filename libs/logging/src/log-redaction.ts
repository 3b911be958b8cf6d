/**
 * What never reaches a log line: pino replaces these paths (at any of the depths listed) with
 * "[redacted]". A belt to the braces of never logging bodies, job data or headers but a few.
 */
const SECRET_KEYS = [
  'token',
  'operatorToken',
  'code',
  'totpCode',
  'currentCode',
  'matchCode',
  'secret',
  'sealedSecret',
  'sealed',
  'password',
  'auth',
  'passkey',
  'signature',
  'authorization',
  'cookie',
  'set-cookie',
];

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((key) => (/^[A-Za-z]+$/.test(key) ? [key, `*.${key}`, `*.*.${key}`] : [`*["${key}"]`, `*.*["${key}"]`])),
];

/** Paths whose last segment is a credential (a link's token): logged with it replaced. */
const TOKEN_PATHS = /^(\/(?:confirm|verify-email|security-notice))\/[^/?#]+/;

/** A URL fit for a log line: the token of a link replaced, and no query string (it may carry one too). */
export function redactUrl(url: string | undefined): string {
  if (!url) return '';
  const path = url.split(/[?#]/, 1)[0];
  return path.replace(TOKEN_PATHS, '$1/[redacted]') + (path.length < url.length ? '?[redacted]' : '');
}
