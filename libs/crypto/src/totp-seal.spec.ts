import { generateKeyPairBase64 } from '@app/config';
import { seal } from './sealed-box';
import { publicKeyFromBase64 } from './keys';
import { openTotpSecret, sealTotpSecret, TotpSecretSealError } from './totp-seal';

describe('TOTP secret sealing', () => {
  const keys = generateKeyPairBase64('x25519');
  const other = generateKeyPairBase64('x25519');
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

  it('round-trips, with a version tag and a fresh ciphertext each time', () => {
    const sealed = sealTotpSecret(secret, keys.publicKey);
    expect(sealed).toMatch(/^v2\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(secret);
    expect(sealTotpSecret(secret, keys.publicKey)).not.toBe(sealed);
    expect(openTotpSecret(sealed, keys.privateKey)).toBe(secret);
  });

  it('refuses a value sealed to another key without revealing anything', () => {
    const sealed = sealTotpSecret(secret, other.publicKey);
    expect(() => openTotpSecret(sealed, keys.privateKey)).toThrow(new TotpSecretSealError('Sealed TOTP secret could not be opened'));
  });

  it('refuses tampered, foreign and otherwise-sealed values', () => {
    const sealed = Buffer.from(sealTotpSecret(secret, keys.publicKey).slice(3), 'base64url');
    sealed[60] ^= 1;
    const evidence = seal(publicKeyFromBase64(keys.publicKey), secret, 'decide-token/job-1');
    for (const value of [`v2.${sealed.toString('base64url')}`, 'v2.AAAA', secret, evidence]) {
      expect(() => openTotpSecret(value, keys.privateKey)).toThrow('could not be opened');
    }
  });
});
