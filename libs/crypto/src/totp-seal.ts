import { constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt } from 'node:crypto';

// The tag lets a later scheme (e.g. another key size or a hybrid seal) coexist with stored v1 values.
const VERSION = 'v1:';
const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;

/**
 * Seals a TOTP secret to the confirmation service's RSA public key (SPKI DER, base64), so only that service
 * can read it back. OAEP is randomised: sealing the same secret twice gives different values.
 */
export function sealTotpSecret(secret: string, publicKeyDerBase64: string): string {
  const key = createPublicKey({ key: Buffer.from(publicKeyDerBase64, 'base64'), format: 'der', type: 'spki' });
  return VERSION + publicEncrypt({ key, ...OAEP }, Buffer.from(secret, 'utf8')).toString('base64');
}

/** Opens a value from sealTotpSecret with the PKCS8 DER (base64) private key; throws on foreign or tampered input. */
export function openTotpSecret(sealed: string, privateKeyDerBase64: string): string {
  if (!sealed.startsWith(VERSION)) throw new Error('Sealed TOTP secret has an unknown format');
  const key = createPrivateKey({ key: Buffer.from(privateKeyDerBase64, 'base64'), format: 'der', type: 'pkcs8' });
  try {
    return privateDecrypt({ key, ...OAEP }, Buffer.from(sealed.slice(VERSION.length), 'base64')).toString('utf8');
  } catch {
    // A generic message: nothing about the input or the key reaches logs.
    throw new Error('Sealed TOTP secret could not be opened');
  }
}
