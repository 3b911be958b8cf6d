/**
 * What never reaches a log line: the value of any of these keys in a logged object, at the top or up to
 * two levels down, and in a child logger's bindings at the top, is written as "[redacted]". A belt to the
 * braces of never logging bodies, job data or headers but a few.
 */
const SECRET_KEYS: ReadonlySet<string> = new Set([
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
  'proxy-authorization',
  'cookie',
  'set-cookie',
]);

const REDACTED = '[redacted]';
const DEEPEST = 2;

/**
 * pino serializers that blank each secret key: pino applies serializers by key to a child's bindings too
 * (which its `formatters.log` never sees). The only child loggers in the apps are pino-http's per request,
 * which bind the request id and the request's method and redacted URL.
 */
export const SECRET_SERIALIZERS: Readonly<Record<string, () => string>> = Object.fromEntries([...SECRET_KEYS].map((key) => [key, () => REDACTED]));

/**
 * `value` with every secret key's value replaced, copying only the objects on the way to one (what the
 * caller logged is never changed, and a line without secrets copies nothing). This replaced pino's `redact`
 * paths, whose wildcards ran on every binding of every per-request child logger: a tenth of the API's busy
 * time in a profile of the bench. Only lines actually written pay for it now.
 */
export function withoutSecrets<T>(value: T, depth = 0): T {
  if (depth > DEEPEST || value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  let replacements: Record<string, PropertyDescriptor> | undefined;
  for (const key of Object.keys(source)) {
    const inner = source[key];
    const replaced = SECRET_KEYS.has(key) ? REDACTED : withoutSecrets(inner, depth + 1);
    if (replaced !== inner) (replacements ??= {})[key] = { value: replaced, enumerable: true, writable: true, configurable: true };
  }
  if (!replacements) return value;
  // The same prototype and other properties (an Error keeps its message and stack for pino's serializer);
  // built whole, so a frozen original is no obstacle.
  return Object.create(Object.getPrototypeOf(source) as object | null, { ...Object.getOwnPropertyDescriptors(source), ...replacements }) as T;
}

/** Paths whose last segment is a credential (a link's token): logged with it replaced. */
const TOKEN_PATHS = /^(\/(?:confirm|verify-email|security-notice))\/[^/?#]+/;

/** A URL fit for a log line: the token of a link replaced, and no query string (it may carry one too). */
export function redactUrl(url: string | undefined): string {
  if (!url) return '';
  const path = url.split(/[?#]/, 1)[0];
  return path.replace(TOKEN_PATHS, '$1/[redacted]') + (path.length < url.length ? '?[redacted]' : '');
}
