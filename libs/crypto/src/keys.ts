import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';

// Parsed once per process: a key is read from the environment at boot and then used per job.
const parsed = new Map<string, KeyObject>();

function cached(der: string, parse: () => KeyObject): KeyObject {
  let key = parsed.get(der);
  if (!key) {
    key = parse();
    parsed.set(der, key);
  }
  return key;
}

/** Keys travel in the environment as base64 DER: SPKI for public keys, PKCS#8 for private ones. */
export function publicKeyFromBase64(der: string): KeyObject {
  return cached(der, () => createPublicKey({ key: Buffer.from(der, 'base64'), format: 'der', type: 'spki' }));
}

export function privateKeyFromBase64(der: string): KeyObject {
  return cached(der, () => createPrivateKey({ key: Buffer.from(der, 'base64'), format: 'der', type: 'pkcs8' }));
}

/** A key given as a KeyObject, or as base64 DER from the environment. */
export type KeyInput = KeyObject | string;

export const asPublicKey = (key: KeyInput): KeyObject => (typeof key === 'string' ? publicKeyFromBase64(key) : key);
export const asPrivateKey = (key: KeyInput): KeyObject => (typeof key === 'string' ? privateKeyFromBase64(key) : key);
