import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const OATHTOOL = '/usr/bin/oathtool';

/**
 * The TOTP code that OATH Toolkit's oathtool computes: an implementation independent of otplib, so tests
 * compare against it instead of against our own code. Throws (never skips) when oathtool is missing.
 */
export function oathtoolCode(secretBase32: string, at: Date = new Date(), algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  if (!existsSync(OATHTOOL)) {
    throw new Error(`${OATHTOOL} not found: install OATH Toolkit (apt-get install oathtool); TOTP tests need it`);
  }
  const args = [`--totp=${algorithm}`, '-b', secretBase32, '--now', `@${Math.floor(at.getTime() / 1000)}`];
  return execFileSync(OATHTOOL, args, { encoding: 'utf8' }).trim();
}
