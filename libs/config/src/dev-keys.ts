import { generateKeyPairSync } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Bump when the set or kind of keys changes: an older file is set aside and a new one made. */
const DEV_KEYS_VERSION = 2;

export interface KeyPairBase64 {
  publicKey: string;
  privateKey: string;
}

export interface DevKeys {
  version: number;
  vapidPublicKey: string;
  vapidPrivateKey: string;
  /** The confirmation service's X25519 pair: TOTP secrets, evidence and operators' tokens are sealed to it. */
  totpSealPublicKey: string;
  totpSealPrivateKey: string;
  /** Each app's Ed25519 pair for signing the jobs it produces. */
  apiSigning: KeyPairBase64;
  notifierSigning: KeyPairBase64;
  confirmerSigning: KeyPairBase64;
}

/** A fresh pair, base64 DER (SPKI public, PKCS#8 private): X25519 to seal to its owner, Ed25519 to sign as its owner. */
export function generateKeyPairBase64(type: 'x25519' | 'ed25519'): KeyPairBase64 {
  const pair = type === 'x25519' ? generateKeyPairSync('x25519') : generateKeyPairSync('ed25519');
  return {
    publicKey: pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
  };
}

/**
 * A VAPID pair (RFC 8292): P-256, the public key as its uncompressed point and the private key as its
 * 32-byte scalar, both base64url, the form web-push and browsers take. Made with node:crypto so that an
 * app which never sends a push does not load web-push and its ASN.1 and big-number libraries for it.
 */
export function generateVapidKeys(): KeyPairBase64 {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return { publicKey: point.toString('base64url'), privateKey: jwk.d! };
}

export function generateDevKeys(): DevKeys {
  const vapid = generateVapidKeys();
  const seal = generateKeyPairBase64('x25519');
  return {
    version: DEV_KEYS_VERSION,
    vapidPublicKey: vapid.publicKey,
    vapidPrivateKey: vapid.privateKey,
    totpSealPublicKey: seal.publicKey,
    totpSealPrivateKey: seal.privateKey,
    apiSigning: generateKeyPairBase64('ed25519'),
    notifierSigning: generateKeyPairBase64('ed25519'),
    confirmerSigning: generateKeyPairBase64('ed25519'),
  };
}

function read(file: string): DevKeys | undefined {
  try {
    const keys = JSON.parse(readFileSync(file, 'utf8')) as DevKeys;
    if (keys.version === DEV_KEYS_VERSION) return keys;
    // Keys of an older kind (RSA sealing, no signing keys): kept aside, never reused.
    renameSync(file, `${file}.v${keys.version ?? 1}.old`);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Development keys shared by the three local processes. Created once with an atomic link so that
 * apps starting together agree on one set; never used when the keys come from the environment, and
 * refused in production (see loadConfig).
 */
export function loadOrCreateDevKeys(file: string): DevKeys {
  const existing = read(file);
  if (existing) return existing;
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(generateDevKeys(), null, 2), { mode: 0o600 });
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temp);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as DevKeys;
}
