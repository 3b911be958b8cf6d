import { generateAppKeyFiles } from './app-key-files';
import { generateDevKeys } from './dev-keys';

const names = (file: string) =>
  file
    .trim()
    .split('\n')
    .map((line) => line.slice(0, line.indexOf('=')));

describe('generateAppKeyFiles', () => {
  const keys = generateDevKeys();
  const { envFiles, exchangeJwtPrivateKeyPem } = generateAppKeyFiles(keys);

  it('gives each app its own private keys and the public keys it needs, and nothing else', () => {
    expect(names(envFiles.api).sort()).toEqual(
      [
        'API_SIGNING_PRIVATE_KEY',
        'API_SIGNING_PUBLIC_KEY',
        'CONFIRMER_SIGNING_PUBLIC_KEY',
        'JWT_PUBLIC_KEY',
        'NOTIFIER_SIGNING_PUBLIC_KEY',
        'TOTP_SEAL_PUBLIC_KEY',
        'VAPID_PUBLIC_KEY',
      ].sort(),
    );
    expect(names(envFiles.notifier)).toEqual(expect.arrayContaining(['VAPID_PRIVATE_KEY', 'NOTIFIER_SIGNING_PRIVATE_KEY']));
    expect(names(envFiles.confirmer)).toEqual(expect.arrayContaining(['TOTP_SEAL_PRIVATE_KEY', 'CONFIRMER_SIGNING_PRIVATE_KEY', 'JWT_PUBLIC_KEY']));
    expect(names(envFiles.wallet)).toEqual(['CONFIRMER_SIGNING_PUBLIC_KEY']);
  });

  it("never puts one holder's private key in another's file", () => {
    const privateValues = {
      api: [keys.apiSigning.privateKey],
      notifier: [keys.vapidPrivateKey, keys.notifierSigning.privateKey],
      confirmer: [keys.totpSealPrivateKey, keys.confirmerSigning.privateKey],
    };
    for (const [owner, values] of Object.entries(privateValues)) {
      for (const [holder, file] of Object.entries(envFiles)) {
        for (const value of values) expect([owner, holder, file.includes(value)]).toEqual([owner, holder, owner === holder]);
      }
    }
    expect(Object.values(envFiles).some((file) => file.includes('PRIVATE KEY'))).toBe(false);
    expect(exchangeJwtPrivateKeyPem).toContain('BEGIN PRIVATE KEY');
  });

  it('writes values a shell can source: NAME=value lines without spaces or quotes', () => {
    for (const file of Object.values(envFiles)) {
      for (const line of file.trim().split('\n')) expect(line).toMatch(/^[A-Z_]+=[A-Za-z0-9+/=_-]+$/);
    }
  });
});
