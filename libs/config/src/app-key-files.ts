import { generateKeyPairSync } from 'node:crypto';
import { AppRole, APP_ROLES, KeyVariable, keysNeeded, TOKEN_VERIFIERS } from './app-config';
import { DevKeys, generateDevKeys } from './dev-keys';

/** Who gets a key file: the three apps, and the exchange's wallet (which verifies the posted jobs). */
export type KeyHolder = AppRole | 'wallet';

export interface GeneratedKeys {
  /** One env file per holder (`NAME=value` lines), with exactly the keys that holder needs. */
  envFiles: Record<KeyHolder, string>;
  /** The exchange's token-signing key (ES256, PKCS#8 PEM), for trying the suite out: the exchange keeps its own. */
  exchangeJwtPrivateKeyPem: string;
}

function valueOf(keys: DevKeys, variable: KeyVariable): string {
  switch (variable) {
    case 'VAPID_PUBLIC_KEY':
      return keys.vapidPublicKey;
    case 'VAPID_PRIVATE_KEY':
      return keys.vapidPrivateKey;
    case 'TOTP_SEAL_PUBLIC_KEY':
      return keys.totpSealPublicKey;
    case 'TOTP_SEAL_PRIVATE_KEY':
      return keys.totpSealPrivateKey;
    case 'API_SIGNING_PUBLIC_KEY':
      return keys.apiSigning.publicKey;
    case 'API_SIGNING_PRIVATE_KEY':
      return keys.apiSigning.privateKey;
    case 'NOTIFIER_SIGNING_PUBLIC_KEY':
      return keys.notifierSigning.publicKey;
    case 'NOTIFIER_SIGNING_PRIVATE_KEY':
      return keys.notifierSigning.privateKey;
    case 'CONFIRMER_SIGNING_PUBLIC_KEY':
      return keys.confirmerSigning.publicKey;
    case 'CONFIRMER_SIGNING_PRIVATE_KEY':
      return keys.confirmerSigning.privateKey;
  }
}

/**
 * A fresh set of keys split by holder (DESIGN.md "who holds which secret"): each app's file holds its own
 * private keys and the public keys it needs, never another app's private key. Values are base64 (no
 * spaces or quotes), so each file can be read by `set -a; . file` or an `env_file:`.
 */
export function generateAppKeyFiles(keys: DevKeys = generateDevKeys()): GeneratedKeys {
  const jwt = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwtPublicKey = jwt.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const lines = (entries: [string, string][]) => `${entries.map(([name, value]) => `${name}=${value}`).join('\n')}\n`;
  const envFiles = Object.fromEntries(
    APP_ROLES.map((app) => [
      app,
      lines([
        ...keysNeeded(app).map((variable): [string, string] => [variable, valueOf(keys, variable)]),
        ...(TOKEN_VERIFIERS.includes(app) ? [['JWT_PUBLIC_KEY', jwtPublicKey] as [string, string]] : []),
      ]),
    ]),
  ) as Record<AppRole, string>;
  return {
    envFiles: { ...envFiles, wallet: lines([['CONFIRMER_SIGNING_PUBLIC_KEY', keys.confirmerSigning.publicKey]]) },
    exchangeJwtPrivateKeyPem: jwt.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
