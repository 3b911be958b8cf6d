import { asPrivateKey, asPublicKey, KeyInput } from './keys';
import { open, seal, SealedBoxError } from './sealed-box';

const CONTEXT = 'totp-secret';

export class TotpSecretSealError extends Error {}

/**
 * Seals a TOTP secret to the confirmation service's X25519 public key, so only that service can read it
 * back (a sealed box: a fresh ephemeral key each time, so sealing the same secret twice differs).
 */
export function sealTotpSecret(secret: string, publicKey: KeyInput): string {
  return seal(asPublicKey(publicKey), secret, CONTEXT);
}

/** Opens a value from sealTotpSecret with the private key; throws on foreign or tampered input, saying nothing of either. */
export function openTotpSecret(sealed: string, privateKey: KeyInput): string {
  try {
    return open(asPrivateKey(privateKey), sealed, CONTEXT).toString('utf8');
  } catch (error) {
    if (error instanceof SealedBoxError) throw new TotpSecretSealError('Sealed TOTP secret could not be opened');
    throw error;
  }
}
