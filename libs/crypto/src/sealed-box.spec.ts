import { generateKeyPairBase64 } from '@app/config';
import { createCipheriv, createDecipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, KeyObject, randomBytes } from 'node:crypto';
import { privateKeyFromBase64, publicKeyFromBase64 } from './keys';
import { open, seal, SealedBoxError } from './sealed-box';

describe('sealed box (X25519, HKDF-SHA256, AES-256-GCM)', () => {
  const pair = generateKeyPairBase64('x25519');
  const recipient = publicKeyFromBase64(pair.publicKey);
  const holder = privateKeyFromBase64(pair.privateKey);
  const other = privateKeyFromBase64(generateKeyPairBase64('x25519').privateKey);

  it('opens under the same context for the holder of the private key', () => {
    const sealed = seal(recipient, 'the evidence', 'decide-token/w-1');
    expect(open(holder, sealed, 'decide-token/w-1').toString()).toBe('the evidence');
  });

  it('hides the plaintext and never seals the same way twice', () => {
    const a = seal(recipient, 'the evidence', 'ctx');
    const b = seal(recipient, 'the evidence', 'ctx');
    expect(a).not.toBe(b);
    expect(Buffer.from(a.slice(3), 'base64url').includes(Buffer.from('the evidence'))).toBe(false);
  });

  it('refuses another context: a box copied into another job or withdrawal is worthless', () => {
    const sealed = seal(recipient, 'the evidence', 'verify-totp/w-1');
    expect(() => open(holder, sealed, 'verify-totp/w-2')).toThrow(SealedBoxError);
  });

  it('refuses another private key, a flipped bit, a truncation and a foreign format, with one message', () => {
    const sealed = seal(recipient, 'the evidence', 'ctx');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    const flipped = Buffer.from(raw);
    flipped[50] ^= 1;
    const attempts = [
      () => open(other, sealed, 'ctx'),
      () => open(holder, `v2.${flipped.toString('base64url')}`, 'ctx'),
      () => open(holder, sealed.slice(0, 40), 'ctx'),
      () => open(holder, 'v1:abcd', 'ctx'),
    ];
    for (const attempt of attempts) expect(attempt).toThrow(new SealedBoxError('sealed value could not be opened'));
  });

  // The layout of the module's doc, built independently with the keys through DER (as the first version did):
  // TOTP secrets sealed years ago must still open, and boxes sealed now must open for any correct implementation.
  const PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
  const rawOf = (k: KeyObject) => (k.export({ type: 'spki', format: 'der' }) as Buffer).subarray(PREFIX.length);
  const keyOf = (shared: Buffer, ephemeralPublic: Buffer, to: KeyObject, context: string) =>
    Buffer.from(
      hkdfSync('sha256', shared, Buffer.concat([ephemeralPublic, rawOf(to)]), Buffer.from(`countersign/sealed-box/v2\u001f${context}`), 32),
    );

  function sealIndependently(to: KeyObject, plaintext: string, context: string): string {
    const ephemeral = generateKeyPairSync('x25519');
    const ephemeralPublic = rawOf(ephemeral.publicKey);
    const nonce = randomBytes(12);
    const cipher = createCipheriv(
      'aes-256-gcm',
      keyOf(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: to }), ephemeralPublic, to, context),
      nonce,
    );
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v2.${Buffer.concat([ephemeralPublic, nonce, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  function openIndependently(holderKey: KeyObject, sealed: string, context: string): string {
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    const ephemeral = createPublicKey({ key: Buffer.concat([PREFIX, raw.subarray(0, 32)]), format: 'der', type: 'spki' });
    const key = keyOf(diffieHellman({ privateKey: holderKey, publicKey: ephemeral }), raw.subarray(0, 32), createPublicKey(holderKey), context);
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(32, 44));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(44, raw.length - 16)), decipher.final()]).toString('utf8');
  }

  it('opens a box built independently of this module, and seals boxes an independent implementation opens', () => {
    expect(open(holder, sealIndependently(recipient, 'JBSWY3DPEHPK3PXP', 'totp-secret/alice'), 'totp-secret/alice').toString()).toBe(
      'JBSWY3DPEHPK3PXP',
    );
    expect(openIndependently(holder, seal(recipient, 'the evidence', 'verify-totp/w-1'), 'verify-totp/w-1')).toBe('the evidence');
  });
});
