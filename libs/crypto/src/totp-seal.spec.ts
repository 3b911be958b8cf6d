import { generateTotpSealKeys } from '@app/config/dev-keys';
import { openTotpSecret, sealTotpSecret } from './totp-seal';

describe('TOTP secret sealing', () => {
  const keys = generateTotpSealKeys();
  const other = generateTotpSealKeys();
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

  it('round-trips, with a version tag and a fresh ciphertext each time', () => {
    const sealed = sealTotpSecret(secret, keys.publicKey);
    expect(sealed).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
    expect(sealed).not.toContain(secret);
    expect(sealTotpSecret(secret, keys.publicKey)).not.toBe(sealed);
    expect(openTotpSecret(sealed, keys.privateKey)).toBe(secret);
  });

  it('refuses a value sealed to another key without revealing anything', () => {
    const sealed = sealTotpSecret(secret, other.publicKey);
    expect(() => openTotpSecret(sealed, keys.privateKey)).toThrow('Sealed TOTP secret could not be opened');
  });

  it('refuses tampered and foreign values', () => {
    const sealed = Buffer.from(sealTotpSecret(secret, keys.publicKey).slice(3), 'base64');
    sealed[100] ^= 1;
    expect(() => openTotpSecret(`v1:${sealed.toString('base64')}`, keys.privateKey)).toThrow('could not be opened');
    expect(() => openTotpSecret('v1:AAAA', keys.privateKey)).toThrow('could not be opened');
    expect(() => openTotpSecret(secret, keys.privateKey)).toThrow('unknown format');
  });
});
