import ms from 'ms';
import { z } from 'zod';
import { DEFAULT_PUSH_SERVICE_HOSTS, isPositiveAmount } from '@app/domain';
import { DevKeys, loadOrCreateDevKeys } from './dev-keys';

/** The three apps' identities: each has its own Postgres role, Redis user and job-signing key. */
export type AppRole = 'api' | 'notifier' | 'confirmer';

export const APP_ROLES: readonly AppRole[] = ['api', 'notifier', 'confirmer'];

export interface AppConfig {
  /** The app this configuration was loaded for (undefined for commands such as db:migrate). */
  app?: AppRole;
  production: boolean;
  databaseUrl: string;
  databaseUrls: Record<AppRole, string>;
  /** REDIS_URL, for administration and tests; each app connects with its own user from redisUrls. */
  redisUrl: string;
  redisUrls: Record<AppRole, string>;
  queuePrefix: string;
  /** The API's listening interface (HOST): loopback by default. */
  host: string;
  port: number;
  publicBaseUrl: string;
  jwt: {
    secret?: string;
    publicKey?: string;
    issuer?: string;
    audience?: string;
    /** Operator tokens living longer than this (exp − iat) are refused. */
    operatorTokenMaxAgeMs: number;
  };
  smtpUrl: string;
  mailFrom: string;
  vapid: { publicKey: string; privateKey?: string; subject: string };
  /** The confirmation service's X25519 pair: TOTP secrets, evidence and operators' tokens are sealed to it. */
  totpSeal: { publicKey: string; privateKey?: string };
  /** Each app's Ed25519 job-signing key: every app knows the public ones, an app its own private one. */
  signing: Record<AppRole, { publicKey: string; privateKey?: string }>;
  confirmationWindowMs: number;
  addressCoolingOffMs: number;
  securityChangeLockMs: number;
  numberMatching: boolean;
  /** /metrics behind HTTP Basic auth; off (404) unless both are set. */
  metrics?: { user: string; password: string };
  /** Bull Board: read-only unless `allowActions`. */
  dashboard?: { user: string; password: string; allowActions: boolean };
  /** How long the API waits for the confirmation service's verdict before answering 503. */
  verdictTimeoutMs: number;
  /** How often an event stream sends a keep-alive comment and looks at its withdrawal again (SSE_HEARTBEAT). */
  sseHeartbeatMs: number;
  /** Pushes per customer per hour, across withdrawals still open (push-bombing guard). */
  pushesPerHour: number;
  /**
   * How challenges are retried while their withdrawal is open: exponential from `retryBaseMs`, never longer
   * than `retryCapMs` apart, until delivered or the withdrawal ends (DELIVERY_RETRY_BASE, DELIVERY_RETRY_CAP).
   */
  delivery: {
    retryBaseMs: number;
    retryCapMs: number;
    /** Each channel's own bound and slots: how long one push or one SMTP exchange may take, and how many run at once. */
    pushTimeoutMs: number;
    smtpTimeoutMs: number;
    emailConcurrency: number;
    pushConcurrency: number;
  };
  /** How often the confirmation service's reconciler republishes from Postgres what Redis should hold (RECONCILE_INTERVAL). */
  reconcileIntervalMs: number;
  /** Where push endpoints may point (PUSH_SERVICE_HOSTS): host suffixes (https) or full origins. */
  pushServiceHosts: string[];
  /** Authenticated writes per customer per minute, and email changes per hour, counted across API instances. */
  customerWritesPerMinute: number;
  emailChangesPerHour: number;
  /** Requests per minute per client IP on the unauthenticated endpoints. */
  publicRateLimitPerMinute: number;
  /** Fastify's trustProxy: whether (or which hops') X-Forwarded-For names the client. Off by default: spoofable. */
  trustProxy: boolean | number | string;
  /** The risk controls (shared/API.md "Risk controls"). */
  risk: RiskConfig;
  /** The passkey relying party: its id (a domain), the name authenticators show, the origins assertions may come from. */
  webauthn: { rpId?: string; rpName: string; origins: string[] };
  /** Per asset, the amount above which a withdrawal needs a passkey (PASSKEY_REQUIRED_ABOVE). */
  passkeyRequiredAbove: Record<string, string>;
  /** Set only for development, when JWT_SECRET was not given. */
  warnings: string[];
}

export interface RiskConfig {
  /** ANOMALY_WINDOW: the sliding window in which distinct customers per IP, device and destination are counted; 0 turns anomaly holds off. */
  anomalyWindowMs: number;
  /** ANOMALY_MAX_ACCOUNTS: distinct customers allowed per key in the window; the next one is held. */
  anomalyMaxAccounts: number;
  /** VELOCITY_LIMITS: per asset, the most one customer may withdraw in 24 h (decimal strings); beyond it, held. */
  velocityLimits: Record<string, string>;
  /** AUTO_PAUSE_FACTOR: the last minute's requests above this many times the trailing hour's per-minute mean pause everything; 0 turns it off. */
  autoPauseFactor: number;
  /** AUTO_PAUSE_MIN_PER_MINUTE: and at least this many in the last minute. */
  autoPauseMinPerMinute: number;
  /** OPERATOR_ALERT_EMAIL: where holds and automatic pauses are mailed. */
  operatorAlertEmail?: string;
}

const duration = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const parsed = value.trim() === '0' ? 0 : ms(value);
      if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a duration like 90s, 10m or 24h` });
        return z.NEVER;
      }
      return parsed;
    });

const bool = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be one of true, false, 1, 0, yes, no' })
    .default(fallback)
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** `BTC=2,ETH=40`: an amount per asset, each asset once. */
const assetAmounts = (name: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const limits: Record<string, string> = {};
      for (const pair of (value ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const [asset, amount, ...rest] = pair.split('=').map((p) => p.trim());
        if (rest.length || !asset || !/^[A-Z0-9]{2,12}$/.test(asset) || !amount || !isPositiveAmount(amount) || asset in limits) {
          ctx.addIssue({
            code: 'custom',
            message: `${name} must be a list like BTC=2,ETH=40: upper-case assets, each once, positive decimal amounts`,
          });
          return z.NEVER;
        }
        limits[asset] = amount;
      }
      return limits;
    });

const envSchema = z.object({
  DATABASE_URL: z.string().url().default('postgres://postgres:postgres@127.0.0.1:5432/countersign'),
  API_DATABASE_URL: z.string().url().optional(),
  NOTIFIER_DATABASE_URL: z.string().url().optional(),
  CONFIRMER_DATABASE_URL: z.string().url().optional(),
  NODE_ENV: z.string().optional(),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  API_REDIS_URL: z.string().url().optional(),
  NOTIFIER_REDIS_URL: z.string().url().optional(),
  CONFIRMER_REDIS_URL: z.string().url().optional(),
  // Loopback unless told otherwise: a container or a host behind a proxy sets its interface (0.0.0.0, ::) explicitly.
  HOST: z.union([z.ipv4(), z.ipv6(), z.hostname()], { error: 'must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name' }).default('127.0.0.1'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]+$/)
    .default('countersign'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_BASE_URL: z.string().url().default('http://localhost:3000'),
  JWT_SECRET: z.string().min(16).optional(),
  JWT_PUBLIC_KEY: z.string().optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  OPERATOR_TOKEN_MAX_AGE: duration('OPERATOR_TOKEN_MAX_AGE', '15m'),
  SMTP_URL: z.string().default('smtp://127.0.0.1:1025'),
  MAIL_FROM: z.string().default('Countersign <no-reply@localhost>'),
  VAPID_PUBLIC_KEY: z.string().optional(),
  VAPID_PRIVATE_KEY: z.string().optional(),
  VAPID_SUBJECT: z.string().default('mailto:security@localhost'),
  TOTP_SEAL_PUBLIC_KEY: z.string().optional(),
  TOTP_SEAL_PRIVATE_KEY: z.string().optional(),
  API_SIGNING_PUBLIC_KEY: z.string().optional(),
  API_SIGNING_PRIVATE_KEY: z.string().optional(),
  NOTIFIER_SIGNING_PUBLIC_KEY: z.string().optional(),
  NOTIFIER_SIGNING_PRIVATE_KEY: z.string().optional(),
  CONFIRMER_SIGNING_PUBLIC_KEY: z.string().optional(),
  CONFIRMER_SIGNING_PRIVATE_KEY: z.string().optional(),
  CONFIRMATION_WINDOW: duration('CONFIRMATION_WINDOW', '10m'),
  ADDRESS_COOLING_OFF: duration('ADDRESS_COOLING_OFF', '24h'),
  SECURITY_CHANGE_LOCK: duration('SECURITY_CHANGE_LOCK', '24h'),
  NUMBER_MATCHING: bool('true'),
  DASHBOARD_USER: z.string().min(1).optional(),
  DASHBOARD_PASSWORD: z.string().min(1).optional(),
  DASHBOARD_ALLOW_ACTIONS: bool('false'),
  METRICS_USER: z.string().min(1).optional(),
  METRICS_PASSWORD: z.string().min(1).optional(),
  VERDICT_TIMEOUT: duration('VERDICT_TIMEOUT', '10s'),
  SSE_HEARTBEAT: duration('SSE_HEARTBEAT', '15s'),
  PUSHES_PER_HOUR: z.coerce.number().int().min(1).default(20),
  DELIVERY_RETRY_BASE: duration('DELIVERY_RETRY_BASE', '1s'),
  DELIVERY_RETRY_CAP: duration('DELIVERY_RETRY_CAP', '1m'),
  PUSH_TIMEOUT: duration('PUSH_TIMEOUT', '10s'),
  SMTP_TIMEOUT: duration('SMTP_TIMEOUT', '30s'),
  EMAIL_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8),
  PUSH_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  RECONCILE_INTERVAL: duration('RECONCILE_INTERVAL', '30s'),
  PUSH_SERVICE_HOSTS: z.string().optional(),
  CUSTOMER_WRITES_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  EMAIL_CHANGES_PER_HOUR: z.coerce.number().int().min(1).default(5),
  PUBLIC_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  TRUST_PROXY: z.string().default('false'),
  DEV_KEYS_FILE: z.string().default('.data/dev-keys.json'),
  ANOMALY_WINDOW: duration('ANOMALY_WINDOW', '10m'),
  ANOMALY_MAX_ACCOUNTS: z.coerce.number().int().min(1).default(3),
  VELOCITY_LIMITS: assetAmounts('VELOCITY_LIMITS'),
  AUTO_PAUSE_FACTOR: z.coerce.number().finite().min(0).default(5),
  AUTO_PAUSE_MIN_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  OPERATOR_ALERT_EMAIL: z.preprocess((v) => (v === '' ? undefined : v), z.string().email().optional()),
  WEBAUTHN_RP_ID: z
    .string()
    .regex(/^(?=.*[a-z])[a-z0-9.-]+$/i, { message: 'must be a domain (never an IP address)' })
    .optional(),
  WEBAUTHN_RP_NAME: z.string().min(1).default('Countersign'),
  WEBAUTHN_ORIGINS: z.string().optional(),
  PASSKEY_REQUIRED_ABOVE: z
    .string()
    .regex(/^\s*$|^\s*[A-Z0-9]{2,12}=(0|[1-9][0-9]{0,19})(\.[0-9]{1,18})?\s*(,\s*[A-Z0-9]{2,12}=(0|[1-9][0-9]{0,19})(\.[0-9]{1,18})?\s*)*$/, {
      message: 'must be like BTC=1,ETH=20',
    })
    .optional(),
});

export class ConfigError extends Error {}

/** The apps that verify the exchange's bearer tokens (the confirmation service: operators' tokens, sealed in jobs). */
export const TOKEN_VERIFIERS: readonly AppRole[] = ['api', 'confirmer'];

export type KeyVariable =
  | 'VAPID_PUBLIC_KEY'
  | 'VAPID_PRIVATE_KEY'
  | 'TOTP_SEAL_PUBLIC_KEY'
  | 'TOTP_SEAL_PRIVATE_KEY'
  | 'API_SIGNING_PUBLIC_KEY'
  | 'API_SIGNING_PRIVATE_KEY'
  | 'NOTIFIER_SIGNING_PUBLIC_KEY'
  | 'NOTIFIER_SIGNING_PRIVATE_KEY'
  | 'CONFIRMER_SIGNING_PUBLIC_KEY'
  | 'CONFIRMER_SIGNING_PRIVATE_KEY';

/** The role URL an app uses when none is given: `<database>_<role>` on the host and database of DATABASE_URL. */
export function defaultRoleUrl(databaseUrl: string, role: AppRole): string {
  const url = new URL(databaseUrl);
  const name = roleName(databaseUrl, role);
  url.username = name;
  url.password = name;
  return url.toString();
}

export function databaseName(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, '')) || 'countersign';
}

export function roleName(databaseUrl: string, role: AppRole): string {
  return `${databaseName(databaseUrl)}_${role}`;
}

/** The development secret: known to everyone who has read this file, so refused in production. */
export const DEVELOPMENT_JWT_SECRET = 'countersign-development-secret-change-me';

type Env = z.infer<typeof envSchema>;

/** The keys an app cannot run without, by variable; where one is missing, development keys stand in (never in production). */
/** The key variables an app reads (its own private keys and the public keys it needs): nothing more is given to it. */
export function keysNeeded(app: AppRole | undefined): KeyVariable[] {
  const verifying: KeyVariable[] = ['API_SIGNING_PUBLIC_KEY', 'NOTIFIER_SIGNING_PUBLIC_KEY', 'CONFIRMER_SIGNING_PUBLIC_KEY'];
  switch (app) {
    case 'api':
      return ['VAPID_PUBLIC_KEY', 'TOTP_SEAL_PUBLIC_KEY', 'API_SIGNING_PRIVATE_KEY', ...verifying];
    case 'notifier':
      return ['VAPID_PUBLIC_KEY', 'VAPID_PRIVATE_KEY', 'NOTIFIER_SIGNING_PRIVATE_KEY', ...verifying];
    case 'confirmer':
      return ['TOTP_SEAL_PUBLIC_KEY', 'TOTP_SEAL_PRIVATE_KEY', 'CONFIRMER_SIGNING_PRIVATE_KEY', ...verifying];
    case undefined:
      return [];
  }
}

const ROLE_URL_VARIABLES: Record<AppRole, 'API_DATABASE_URL' | 'NOTIFIER_DATABASE_URL' | 'CONFIRMER_DATABASE_URL'> = {
  api: 'API_DATABASE_URL',
  notifier: 'NOTIFIER_DATABASE_URL',
  confirmer: 'CONFIRMER_DATABASE_URL',
};

/** A role URL whose password is missing or is the role's own name: the development default. */
function hasDefaultPassword(url: string): boolean {
  const parsed = new URL(url);
  return !parsed.password || decodeURIComponent(parsed.password) === decodeURIComponent(parsed.username);
}

/**
 * Validates the environment once, at boot, into a typed object for `app` (or, without one, for a command
 * such as db:migrate); a bad value stops the app with every problem listed. In production
 * (NODE_ENV=production) development stand-ins — the public JWT secret, role passwords equal to the role
 * names, keys from a development keys file — are refused, each naming the variable to set.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, app?: AppRole): AppConfig {
  // A variable set to nothing (`FOO=` in an env file or compose) is a variable not set.
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    // Name the variable and the rule, never the value: a mistyped secret must not reach the logs.
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const refusals: string[] = [];
  const warnings: string[] = [];

  // Commands (no app) read whatever keys are set; an app missing one of its own falls back to development keys.
  const missingKeys = keysNeeded(app).filter((name) => !e[name]);
  let dev: DevKeys | undefined;
  if (missingKeys.length && production) {
    refusals.push(`${missingKeys.join(', ')} must be set: development keys are refused in production`);
  } else if (missingKeys.length) {
    dev = loadOrCreateDevKeys(e.DEV_KEYS_FILE);
    warnings.push(`${missingKeys.join(', ')} not set: using development keys kept in ${e.DEV_KEYS_FILE}`);
  }

  let jwtSecret = e.JWT_SECRET;
  // The API and the confirmation service verify the exchange's tokens; the worker and the commands never do.
  const verifiesTokens = app !== undefined && TOKEN_VERIFIERS.includes(app);
  if (!jwtSecret && !e.JWT_PUBLIC_KEY) {
    if (production && verifiesTokens) refusals.push('JWT_PUBLIC_KEY (or JWT_SECRET) must be set: the development secret is refused in production');
    jwtSecret = DEVELOPMENT_JWT_SECRET;
    if (verifiesTokens) warnings.push('JWT_SECRET and JWT_PUBLIC_KEY are not set: using a development secret. NEVER run like this in production.');
  } else if (production && verifiesTokens && jwtSecret === DEVELOPMENT_JWT_SECRET) {
    refusals.push('JWT_SECRET must be your own: the development secret is refused in production');
  }

  const databaseUrls: Record<AppRole, string> = {
    api: e.API_DATABASE_URL ?? defaultRoleUrl(e.DATABASE_URL, 'api'),
    notifier: e.NOTIFIER_DATABASE_URL ?? defaultRoleUrl(e.DATABASE_URL, 'notifier'),
    confirmer: e.CONFIRMER_DATABASE_URL ?? defaultRoleUrl(e.DATABASE_URL, 'confirmer'),
  };
  if (production) {
    for (const role of app ? [app] : APP_ROLES) {
      if (hasDefaultPassword(databaseUrls[role])) {
        refusals.push(`${ROLE_URL_VARIABLES[role]} must carry the role's own password: default role passwords are refused in production`);
      }
    }
  }
  if (e.TRUST_PROXY === 'true') {
    warnings.push(
      "TRUST_PROXY=true believes the first X-Forwarded-For entry, which any client can set: give the hop count or the proxies' addresses",
    );
  }
  if (refusals.length) throw new ConfigError(`refused in production: ${refusals.join('; ')}`);

  const publicBase = new URL(e.PUBLIC_BASE_URL);
  // An rp id is a domain: a PUBLIC_BASE_URL on an IP address gives none, and passkeys are then unavailable.
  const rpId = e.WEBAUTHN_RP_ID ?? (/^[0-9.]+$|^\[/.test(publicBase.hostname) ? undefined : publicBase.hostname);
  const origins = (e.WEBAUTHN_ORIGINS ?? publicBase.origin)
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => new URL(o).origin);
  const passkeyRequiredAbove = Object.fromEntries(
    (e.PASSKEY_REQUIRED_ABOVE ?? '')
      .split(',')
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => pair.split('=') as [string, string]),
  );

  const key = (name: keyof Env, fallback?: string) => (e[name] as string | undefined) ?? fallback;
  const dashboard =
    e.DASHBOARD_USER && e.DASHBOARD_PASSWORD
      ? { user: e.DASHBOARD_USER, password: e.DASHBOARD_PASSWORD, allowActions: e.DASHBOARD_ALLOW_ACTIONS }
      : undefined;
  return {
    app,
    production,
    databaseUrl: e.DATABASE_URL,
    databaseUrls,
    redisUrl: e.REDIS_URL,
    redisUrls: {
      api: e.API_REDIS_URL ?? e.REDIS_URL,
      notifier: e.NOTIFIER_REDIS_URL ?? e.REDIS_URL,
      confirmer: e.CONFIRMER_REDIS_URL ?? e.REDIS_URL,
    },
    queuePrefix: e.QUEUE_PREFIX,
    host: e.HOST,
    port: e.PORT,
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/$/, ''),
    jwt: {
      secret: jwtSecret,
      publicKey: e.JWT_PUBLIC_KEY,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      operatorTokenMaxAgeMs: e.OPERATOR_TOKEN_MAX_AGE,
    },
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    vapid: {
      publicKey: key('VAPID_PUBLIC_KEY', dev?.vapidPublicKey) ?? '',
      privateKey: key('VAPID_PRIVATE_KEY', dev?.vapidPrivateKey),
      subject: e.VAPID_SUBJECT,
    },
    totpSeal: {
      publicKey: key('TOTP_SEAL_PUBLIC_KEY', dev?.totpSealPublicKey) ?? '',
      privateKey: key('TOTP_SEAL_PRIVATE_KEY', dev?.totpSealPrivateKey),
    },
    signing: {
      api: {
        publicKey: key('API_SIGNING_PUBLIC_KEY', dev?.apiSigning.publicKey) ?? '',
        privateKey: key('API_SIGNING_PRIVATE_KEY', dev?.apiSigning.privateKey),
      },
      notifier: {
        publicKey: key('NOTIFIER_SIGNING_PUBLIC_KEY', dev?.notifierSigning.publicKey) ?? '',
        privateKey: key('NOTIFIER_SIGNING_PRIVATE_KEY', dev?.notifierSigning.privateKey),
      },
      confirmer: {
        publicKey: key('CONFIRMER_SIGNING_PUBLIC_KEY', dev?.confirmerSigning.publicKey) ?? '',
        privateKey: key('CONFIRMER_SIGNING_PRIVATE_KEY', dev?.confirmerSigning.privateKey),
      },
    },
    confirmationWindowMs: e.CONFIRMATION_WINDOW,
    addressCoolingOffMs: e.ADDRESS_COOLING_OFF,
    securityChangeLockMs: e.SECURITY_CHANGE_LOCK,
    numberMatching: e.NUMBER_MATCHING,
    dashboard,
    metrics: e.METRICS_USER && e.METRICS_PASSWORD ? { user: e.METRICS_USER, password: e.METRICS_PASSWORD } : undefined,
    verdictTimeoutMs: e.VERDICT_TIMEOUT,
    sseHeartbeatMs: Math.max(100, e.SSE_HEARTBEAT),
    pushesPerHour: e.PUSHES_PER_HOUR,
    delivery: {
      retryBaseMs: Math.max(1, e.DELIVERY_RETRY_BASE),
      retryCapMs: Math.max(e.DELIVERY_RETRY_BASE, e.DELIVERY_RETRY_CAP, 1),
      pushTimeoutMs: Math.max(1, e.PUSH_TIMEOUT),
      smtpTimeoutMs: Math.max(1, e.SMTP_TIMEOUT),
      emailConcurrency: e.EMAIL_CONCURRENCY,
      pushConcurrency: e.PUSH_CONCURRENCY,
    },
    reconcileIntervalMs: Math.max(100, e.RECONCILE_INTERVAL),
    pushServiceHosts: e.PUSH_SERVICE_HOSTS
      ? e.PUSH_SERVICE_HOSTS.split(',')
          .map((h) => h.trim())
          .filter(Boolean)
      : [...DEFAULT_PUSH_SERVICE_HOSTS],
    customerWritesPerMinute: e.CUSTOMER_WRITES_PER_MINUTE,
    emailChangesPerHour: e.EMAIL_CHANGES_PER_HOUR,
    publicRateLimitPerMinute: e.PUBLIC_RATE_LIMIT_PER_MINUTE,
    trustProxy:
      e.TRUST_PROXY === 'true' ? true : e.TRUST_PROXY === 'false' ? false : /^[0-9]+$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY,
    risk: {
      anomalyWindowMs: e.ANOMALY_WINDOW,
      anomalyMaxAccounts: e.ANOMALY_MAX_ACCOUNTS,
      velocityLimits: e.VELOCITY_LIMITS,
      autoPauseFactor: e.AUTO_PAUSE_FACTOR,
      autoPauseMinPerMinute: e.AUTO_PAUSE_MIN_PER_MINUTE,
      operatorAlertEmail: e.OPERATOR_ALERT_EMAIL,
    },
    webauthn: { rpId, rpName: e.WEBAUTHN_RP_NAME, origins },
    passkeyRequiredAbove,
    warnings,
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
