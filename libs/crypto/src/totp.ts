import { randomBytes } from 'node:crypto';
import { authenticator, hotp, totp } from 'otplib';
import { HashAlgorithms, KeyEncodings, hotpCreateHmacKey, totpCounter } from 'otplib/core';

export interface TotpOptions {
  algorithm: 'sha1' | 'sha256' | 'sha512';
  digits: number;
  stepSeconds: number;
  window: number;
}

/** What authenticator apps assume when the otpauth URI says nothing else. */
export const TOTP_DEFAULTS: TotpOptions = { algorithm: 'sha1', digits: 6, stepSeconds: 30, window: 1 };

const ALGORITHMS = { sha1: HashAlgorithms.SHA1, sha256: HashAlgorithms.SHA256, sha512: HashAlgorithms.SHA512 };

function otplibOptions(opts: TotpOptions, epochMs: number) {
  return {
    algorithm: ALGORITHMS[opts.algorithm],
    digits: opts.digits,
    step: opts.stepSeconds,
    window: opts.window,
    epoch: epochMs,
    // otplib's TOTP default stretches short keys by repetition (e.g. a 20-byte key for SHA512), which no
    // other client does; the plain HOTP key derivation is what RFC 6238 and authenticator apps use.
    createHmacKey: hotpCreateHmacKey,
  };
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding. */
function base32(bytes: Buffer): string {
  let out = '';
  let value = 0;
  let bits = 0;
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xfff; // at most 4 + 8 bits are ever pending
    bits += 8;
    for (; bits >= 5; bits -= 5) out += BASE32[(value >>> (bits - 5)) & 31];
  }
  return bits > 0 ? out + BASE32[(value << (5 - bits)) & 31] : out;
}

/**
 * 160-bit secret, as RFC 4226 recommends. Encoded here rather than with authenticator.generateSecret():
 * otplib 12's base32 encoder goes through an 'ascii' string, which clears the top bit of every byte.
 */
export function newTotpSecret(): string {
  return base32(randomBytes(20));
}

/** Key URI for QR enrolment (Google Authenticator format). */
export function otpauthUri(secretBase32: string, accountName: string, issuer = 'Countersign'): string {
  return authenticator.clone(otplibOptions(TOTP_DEFAULTS, Date.now())).keyuri(accountName, issuer, secretBase32);
}

export function totpCode(secretBase32: string, atMs: number, opts = TOTP_DEFAULTS): string {
  return authenticator.clone(otplibOptions(opts, atMs)).generate(secretBase32);
}

export function totpStep(atMs: number, stepSeconds = 30): number {
  return totpCounter(atMs, stepSeconds);
}

/**
 * The absolute time step a code belongs to, within ±window steps of now, or null. Callers store the step
 * to refuse a second use of the same code (RFC 6238 §5.2).
 */
export function matchTotpStep(secretBase32: string, code: string, nowMs: number, opts = TOTP_DEFAULTS): number | null {
  // otplib only checks /^\d+$/; insist on the exact length too.
  if (!new RegExp(`^[0-9]{${opts.digits}}$`).test(code)) return null;
  const delta = authenticator.clone(otplibOptions(opts, nowMs)).checkDelta(code, secretBase32);
  return delta === null ? null : totpStep(nowMs, opts.stepSeconds) + delta;
}

/** HOTP over a raw key (RFC 4226 test vectors). */
export function hotpCodeFromKey(key: Buffer, counter: number, digits: number, algorithm: TotpOptions['algorithm']): string {
  return hotp
    .clone({ algorithm: ALGORITHMS[algorithm], digits, encoding: KeyEncodings.HEX })
    .generate(key.toString('hex'), counter);
}

/** TOTP over a raw key (RFC 6238 test vectors). */
export function totpCodeFromKey(key: Buffer, atMs: number, opts = TOTP_DEFAULTS): string {
  return totp.clone({ ...otplibOptions(opts, atMs), encoding: KeyEncodings.HEX }).generate(key.toString('hex'));
}
