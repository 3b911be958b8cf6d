import { createECDH } from 'node:crypto';
import { getVapidHeaders } from 'web-push';
import { generateVapidKeys } from './dev-keys';

describe('generateVapidKeys', () => {
  it('makes a P-256 pair in the form VAPID keys are given (base64url: 65-byte uncompressed point, 32-byte scalar) and the private key yields the public one', () => {
    const { publicKey, privateKey } = generateVapidKeys();
    const pub = Buffer.from(publicKey, 'base64url');
    const priv = Buffer.from(privateKey, 'base64url');
    expect([pub.length, pub[0], priv.length]).toEqual([65, 0x04, 32]);
    expect(publicKey).toMatch(/^[A-Za-z0-9_-]+$/);
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(priv);
    expect(ecdh.getPublicKey().equals(pub)).toBe(true);
  });

  it('is accepted by web-push, which signs the push requests with it', () => {
    const { publicKey, privateKey } = generateVapidKeys();
    const { Authorization } = getVapidHeaders('https://push.example', 'mailto:security@example.com', publicKey, privateKey, 'aes128gcm');
    expect(Authorization).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${publicKey}$`));
  });

  it('makes a new pair each time', () => {
    expect(generateVapidKeys().privateKey).not.toBe(generateVapidKeys().privateKey);
  });
});
