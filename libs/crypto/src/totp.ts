import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import { ScureBase32Plugin, generateSecret, generateSync, generateURI, verifySync } from 'otplib';

type Digits = 6 | 7 | 8;

export interface TotpOptions {
  algorithm: 'sha1' | 'sha256' | 'sha512';
  digits: number;
  stepSeconds: number;
  window: number;
}

/** What authenticator apps assume when the otpauth URI says nothing else. */
export const TOTP_DEFAULTS: TotpOptions = { algorithm: 'sha1', digits: 6, stepSeconds: 30, window: 1 };

// node:crypto's HMAC rather than otplib's pure-JS default: synchronous, and several times faster.
const plugins = { crypto: new NodeCryptoPlugin(), base32: new ScureBase32Plugin() };

function otplibOptions(opts: TotpOptions, epochMs: number) {
  return { ...plugins, algorithm: opts.algorithm, digits: opts.digits as Digits, period: opts.stepSeconds, epoch: Math.floor(epochMs / 1000) };
}

/** 160-bit secret, as RFC 4226 recommends, base32 without padding. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20, ...plugins });
}

/** Key URI for QR enrolment (Google Authenticator format). */
export function otpauthUri(secretBase32: string, accountName: string, issuer = 'Countersign'): string {
  const { algorithm, digits, stepSeconds } = TOTP_DEFAULTS;
  return generateURI({ issuer, label: accountName, secret: secretBase32, algorithm, digits, period: stepSeconds });
}

export function totpCode(secretBase32: string, atMs: number, opts = TOTP_DEFAULTS): string {
  return generateSync({ secret: secretBase32, ...otplibOptions(opts, atMs) });
}

export function totpStep(atMs: number, stepSeconds = 30): number {
  return Math.floor(atMs / 1000 / stepSeconds);
}

/** The earliest step a code checked at `atMs` or later can belong to (matchTotpStep's window): older used steps no longer matter. */
export function earliestMatchableStep(atMs: number, opts = TOTP_DEFAULTS): number {
  return totpStep(atMs, opts.stepSeconds) - opts.window;
}

/**
 * The absolute time step a code belongs to, within ±window steps of now, or null. Callers store the step
 * to refuse a second use of the same code (RFC 6238 §5.2).
 */
export function matchTotpStep(secretBase32: string, code: string, nowMs: number, opts = TOTP_DEFAULTS): number | null {
  // Insist on the exact length: a shorter or longer string is simply wrong, never an error.
  if (!new RegExp(`^[0-9]{${opts.digits}}$`).test(code)) return null;
  // The tolerance is counted from the start of the current step, so that it covers exactly ±window steps
  // wherever in the step `now` falls.
  const stepStartMs = totpStep(nowMs, opts.stepSeconds) * opts.stepSeconds * 1000;
  const result = verifySync({
    secret: secretBase32,
    token: code,
    ...otplibOptions(opts, stepStartMs),
    epochTolerance: opts.window * opts.stepSeconds,
  });
  return result.valid ? totpStep(nowMs, opts.stepSeconds) + result.delta : null;
}

/** HOTP over a raw key (RFC 4226 test vectors). */
export function hotpCodeFromKey(key: Buffer, counter: number, digits: TotpOptions['digits'], algorithm: TotpOptions['algorithm']): string {
  return generateSync({ strategy: 'hotp', secret: new Uint8Array(key), counter, digits, algorithm, ...plugins });
}

/** TOTP over a raw key (RFC 6238 test vectors). */
export function totpCodeFromKey(key: Buffer, atMs: number, opts = TOTP_DEFAULTS): string {
  return generateSync({ secret: new Uint8Array(key), ...otplibOptions(opts, atMs) });
}
