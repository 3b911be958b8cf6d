import { generateKeyPairBase64 } from '@app/config';
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
});
