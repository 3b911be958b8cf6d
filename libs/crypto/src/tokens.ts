import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256-bit bearer token, URL-safe so it can travel in links (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are stored only as hashes, so a database leak does not leak usable tokens. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Constant-time equality. Both sides are hashed first so inputs of any length compare as 32 bytes:
 * timingSafeEqual would otherwise throw on a length mismatch and an early return would leak the length.
 */
export function safeEqual(a: Buffer | string, b: Buffer | string): boolean {
  const digest = (value: Buffer | string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}
