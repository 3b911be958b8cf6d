import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';

/** Keys travel in the environment as base64 DER: SPKI for public keys, PKCS#8 for private ones. */
export function publicKeyFromBase64(der: string): KeyObject {
  return createPublicKey({ key: Buffer.from(der, 'base64'), format: 'der', type: 'spki' });
}

export function privateKeyFromBase64(der: string): KeyObject {
  return createPrivateKey({ key: Buffer.from(der, 'base64'), format: 'der', type: 'pkcs8' });
}

/** A fresh pair, base64 DER: X25519 to seal to its owner, Ed25519 to sign as its owner. */
export function generateKeyPairBase64(type: 'x25519' | 'ed25519'): { publicKey: string; privateKey: string } {
  const pair = type === 'x25519' ? generateKeyPairSync('x25519') : generateKeyPairSync('ed25519');
  return {
    publicKey: pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
  };
}
