import { createHash } from 'node:crypto';

/**
 * The challenge a customer's authenticator signs to approve one withdrawal (shared/API.md, "Customer:
 * passkeys"): base64url(SHA-256(UTF-8("countersign/webauthn/v1") ‖ digest ‖ UTF-8(challengeId))). The
 * digest binds asset, network, amount, fee, destination and customer; the push challenge's id makes the
 * assertion good for that one approval. Derived, never stored: recomputed from the withdrawal row.
 */
export function passkeyChallenge(digest: Buffer, challengeId: string): string {
  if (digest.length !== 32) throw new TypeError('a withdrawal digest is 32 bytes');
  return createHash('sha256').update('countersign/webauthn/v1', 'utf8').update(digest).update(challengeId, 'utf8').digest('base64url');
}
