import { createPublicKey, verify } from 'node:crypto';

/**
 * The exchange's wallet, as the README tells it to check a `withdrawals-posted` job: with node:crypto alone
 * (none of Countersign's code), rebuild the signed bytes and verify the confirmation service's Ed25519
 * signature with its public key (CONFIRMER_SIGNING_PUBLIC_KEY, base64 SPKI DER).
 */
export function walletAccepts(job: { name: string; id?: string; data: Record<string, unknown> }, confirmerPublicKeyBase64: string): boolean {
  const { signature, ...data } = job.data as { signature?: { producer?: unknown; issuedAt?: unknown; value?: unknown } };
  if (!signature || signature.producer !== 'confirmer' || typeof signature.issuedAt !== 'string' || typeof signature.value !== 'string') return false;
  const canonical = (value: unknown): string =>
    Array.isArray(value)
      ? `[${value.map(canonical).join(',')}]`
      : value !== null && typeof value === 'object'
        ? `{${Object.keys(value)
            .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
            .join(',')}}`
        : JSON.stringify(value);
  const bytes = ['countersign-job-v1', 'withdrawals-posted', job.name, job.id ?? '', 'confirmer', signature.issuedAt, canonical(data)].join('\u001f');
  const key = createPublicKey({ key: Buffer.from(confirmerPublicKeyBase64, 'base64'), format: 'der', type: 'spki' });
  try {
    return verify(null, Buffer.from(bytes, 'utf8'), key, Buffer.from(signature.value, 'base64url'));
  } catch {
    return false;
  }
}
