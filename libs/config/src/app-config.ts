import ms from 'ms';
import { z } from 'zod';
import { loadOrCreateDevKeys } from './dev-keys';

/** The three apps' database identities; each gets its own least-privilege Postgres role. */
export type AppRole = 'api' | 'notifier' | 'confirmer';

export interface AppConfig {
  databaseUrl: string;
  databaseUrls: Record<AppRole, string>;
  redisUrl: string;
  queuePrefix: string;
  port: number;
  publicBaseUrl: string;
  jwt: { secret?: string; publicKey?: string };
  smtpUrl: string;
  mailFrom: string;
  vapid: { publicKey: string; privateKey: string; subject: string };
  totpSeal: { publicKey: string; privateKey?: string };
  confirmationWindowMs: number;
  addressCoolingOffMs: number;
  securityChangeLockMs: number;
  numberMatching: boolean;
  dashboard?: { user: string; password: string };
  /** How long the API waits for the confirmation service's verdict before answering 503. */
  verdictTimeoutMs: number;
  /** Pushes per customer per hour, across withdrawals (push-bombing guard). */
  pushesPerHour: number;
  /** Requests per minute per client IP on the unauthenticated endpoints. */
  publicRateLimitPerMinute: number;
  /** Fastify's trustProxy: whether (or which hops') X-Forwarded-For names the client. Off by default: spoofable. */
  trustProxy: boolean | number | string;
  /** Set only for development, when JWT_SECRET was not given. */
  warnings: string[];
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

const envSchema = z.object({
  DATABASE_URL: z.string().url().default('postgres://postgres:postgres@127.0.0.1:5432/countersign'),
  API_DATABASE_URL: z.string().url().optional(),
  NOTIFIER_DATABASE_URL: z.string().url().optional(),
  CONFIRMER_DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]+$/)
    .default('countersign'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_BASE_URL: z.string().url().default('http://localhost:3000'),
  JWT_SECRET: z.string().min(16).optional(),
  JWT_PUBLIC_KEY: z.string().optional(),
  SMTP_URL: z.string().default('smtp://127.0.0.1:1025'),
  MAIL_FROM: z.string().default('Countersign <no-reply@localhost>'),
  VAPID_PUBLIC_KEY: z.string().optional(),
  VAPID_PRIVATE_KEY: z.string().optional(),
  VAPID_SUBJECT: z.string().default('mailto:security@localhost'),
  TOTP_SEAL_PUBLIC_KEY: z.string().optional(),
  TOTP_SEAL_PRIVATE_KEY: z.string().optional(),
  CONFIRMATION_WINDOW: duration('CONFIRMATION_WINDOW', '10m'),
  ADDRESS_COOLING_OFF: duration('ADDRESS_COOLING_OFF', '24h'),
  SECURITY_CHANGE_LOCK: duration('SECURITY_CHANGE_LOCK', '24h'),
  NUMBER_MATCHING: bool('true'),
  DASHBOARD_USER: z.string().min(1).optional(),
  DASHBOARD_PASSWORD: z.string().min(1).optional(),
  VERDICT_TIMEOUT: duration('VERDICT_TIMEOUT', '10s'),
  PUSHES_PER_HOUR: z.coerce.number().int().min(1).default(20),
  PUBLIC_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  TRUST_PROXY: z.string().default('false'),
  DEV_KEYS_FILE: z.string().default('.data/dev-keys.json'),
});

export class ConfigError extends Error {}

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

/** Validates the environment once, at boot, into a typed object; a bad value stops the app with every problem listed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    // Name the variable and the rule, never the value: a mistyped secret must not reach the logs.
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const warnings: string[] = [];
  const needsDevKeys = !e.VAPID_PUBLIC_KEY || !e.VAPID_PRIVATE_KEY || !e.TOTP_SEAL_PUBLIC_KEY;
  const dev = needsDevKeys ? loadOrCreateDevKeys(e.DEV_KEYS_FILE) : undefined;
  if (dev) warnings.push(`VAPID or TOTP sealing keys not set: using development keys kept in ${e.DEV_KEYS_FILE}`);
  let jwtSecret = e.JWT_SECRET;
  if (!jwtSecret && !e.JWT_PUBLIC_KEY) {
    jwtSecret = 'countersign-development-secret-change-me';
    warnings.push('JWT_SECRET and JWT_PUBLIC_KEY are not set: using a development secret. NEVER run like this in production.');
  }
  const dashboard = e.DASHBOARD_USER && e.DASHBOARD_PASSWORD ? { user: e.DASHBOARD_USER, password: e.DASHBOARD_PASSWORD } : undefined;
  return {
    databaseUrl: e.DATABASE_URL,
    databaseUrls: {
      api: e.API_DATABASE_URL ?? defaultRoleUrl(e.DATABASE_URL, 'api'),
      notifier: e.NOTIFIER_DATABASE_URL ?? defaultRoleUrl(e.DATABASE_URL, 'notifier'),
      confirmer: e.CONFIRMER_DATABASE_URL ?? defaultRoleUrl(e.DATABASE_URL, 'confirmer'),
    },
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    port: e.PORT,
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/$/, ''),
    jwt: { secret: jwtSecret, publicKey: e.JWT_PUBLIC_KEY },
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    vapid: {
      publicKey: e.VAPID_PUBLIC_KEY ?? dev!.vapidPublicKey,
      privateKey: e.VAPID_PRIVATE_KEY ?? dev!.vapidPrivateKey,
      subject: e.VAPID_SUBJECT,
    },
    totpSeal: {
      publicKey: e.TOTP_SEAL_PUBLIC_KEY ?? dev!.totpSealPublicKey,
      privateKey: e.TOTP_SEAL_PRIVATE_KEY ?? (e.TOTP_SEAL_PUBLIC_KEY ? undefined : dev!.totpSealPrivateKey),
    },
    confirmationWindowMs: e.CONFIRMATION_WINDOW,
    addressCoolingOffMs: e.ADDRESS_COOLING_OFF,
    securityChangeLockMs: e.SECURITY_CHANGE_LOCK,
    numberMatching: e.NUMBER_MATCHING,
    dashboard,
    verdictTimeoutMs: e.VERDICT_TIMEOUT,
    pushesPerHour: e.PUSHES_PER_HOUR,
    publicRateLimitPerMinute: e.PUBLIC_RATE_LIMIT_PER_MINUTE,
    trustProxy:
      e.TRUST_PROXY === 'true' ? true : e.TRUST_PROXY === 'false' ? false : /^[0-9]+$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY,
    warnings,
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
