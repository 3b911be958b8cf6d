import { generateKeyPairSync } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import webpush from 'web-push';

export interface DevKeys {
  vapidPublicKey: string;
  vapidPrivateKey: string;
  totpSealPublicKey: string;
  totpSealPrivateKey: string;
}

export function generateTotpSealKeys(): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
  };
}

export function generateDevKeys(): DevKeys {
  const vapid = webpush.generateVAPIDKeys();
  const seal = generateTotpSealKeys();
  return {
    vapidPublicKey: vapid.publicKey,
    vapidPrivateKey: vapid.privateKey,
    totpSealPublicKey: seal.publicKey,
    totpSealPrivateKey: seal.privateKey,
  };
}

/**
 * Development keys shared by the three local processes. Created once with an atomic link so that
 * apps starting together agree on one set; never used when the keys come from the environment.
 */
export function loadOrCreateDevKeys(file: string): DevKeys {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DevKeys;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(generateDevKeys(), null, 2), { mode: 0o600 });
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temp);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as DevKeys;
}
