import { createCipheriv, createDecipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, KeyObject, randomBytes } from 'node:crypto';

const VERSION = 'v2.';

const RAW_X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

/**
 * A raw X25519 public key as a KeyObject, through JWK: OpenSSL 3 imports it that way in 5 µs, through DER
 * (its generic decoders) in 64, and every opened box costs one.
 */
const x25519PublicKey = (raw: Buffer): KeyObject =>
  createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw.toString('base64url') }, format: 'jwk' });

/**
 * A key's raw public half, through DER. Not through JWK, although that is faster: on Node 20,
 * `export({ format: 'jwk' })` of a key from generateKeyPairSync holds the key's mutex while it allocates, and
 * a garbage collection then may free the key-generation job, whose destructor takes the same mutex — the
 * process hangs for good (seen under load; the main thread's stack in the README, "Performance", step 16).
 */
const rawX25519 = (key: KeyObject): Buffer => (key.export({ type: 'spki', format: 'der' }) as Buffer).subarray(RAW_X25519_SPKI_PREFIX.length);

export class SealedBoxError extends Error {}

/**
 * A sealed box to the holder of an X25519 private key (the confirmation service): an ephemeral X25519
 * agreement, HKDF-SHA256 and AES-256-GCM, all from node:crypto. `context` names what the box is for and
 * to whom it belongs (a job name and a withdrawal, say); it is bound into the key and authenticated, so
 * a box opened under any other context fails, and a box copied into another job is worthless.
 * Layout after the version: ephemeral public key (32) ‖ nonce (12) ‖ ciphertext ‖ tag (16), base64url.
 */
export function seal(recipient: KeyObject, plaintext: string | Buffer, context: string): string {
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralPublic = rawX25519(ephemeral.publicKey);
  const key = derive(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }), ephemeralPublic, recipient, context);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(Buffer.from(plaintext)), cipher.final()]);
  return VERSION + Buffer.concat([ephemeralPublic, nonce, body, cipher.getAuthTag()]).toString('base64url');
}

/** Opens a box sealed to `recipient`'s public key under exactly `context`; throws SealedBoxError otherwise. */
export function open(recipient: KeyObject, sealed: string, context: string): Buffer {
  // One message for every failure: nothing about the box, the key or the context reaches a log.
  const refuse = () => new SealedBoxError('sealed value could not be opened');
  if (typeof sealed !== 'string' || !sealed.startsWith(VERSION)) throw refuse();
  const raw = Buffer.from(sealed.slice(VERSION.length), 'base64url');
  if (raw.length < 32 + 12 + 16) throw refuse();
  const ephemeralPublic = raw.subarray(0, 32);
  const nonce = raw.subarray(32, 44);
  const body = raw.subarray(44, raw.length - 16);
  const tag = raw.subarray(raw.length - 16);
  try {
    const ephemeral = x25519PublicKey(ephemeralPublic);
    const key = derive(diffieHellman({ privateKey: recipient, publicKey: ephemeral }), ephemeralPublic, recipient, context);
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw refuse();
  }
}

const rawPublicKeys = new WeakMap<KeyObject, Buffer>();

/** The recipient's raw public key (of a public or a private key object), computed once per key. */
function rawPublicKey(key: KeyObject): Buffer {
  let raw = rawPublicKeys.get(key);
  if (!raw) {
    raw = rawX25519(key.type === 'public' ? key : createPublicKey(key));
    rawPublicKeys.set(key, raw);
  }
  return raw;
}

function derive(shared: Buffer, ephemeralPublic: Buffer, recipient: KeyObject, context: string): Buffer {
  const salt = Buffer.concat([ephemeralPublic, rawPublicKey(recipient)]);
  return Buffer.from(hkdfSync('sha256', shared, salt, Buffer.from(`countersign/sealed-box/v2\u001f${context}`, 'utf8'), 32));
}
