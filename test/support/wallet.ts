import { createHash, createPublicKey, KeyObject, verify } from 'node:crypto';

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

/**
 * The wallet's check of the customer's own passkey signature in a `withdrawals-posted` job (README, "For the
 * wallet"), with node:crypto alone: recompute the withdrawal's digest from the job's fields, the challenge
 * from the digest and the push challenge's id, then check that the authenticator signed exactly that, for
 * our rp id and origin, with the user verified, under the registered public key (COSE: ES256, EdDSA, RS256).
 */
export function walletAcceptsPasskey(data: Record<string, any>, expected: { rpId: string; origins: string[] }): boolean {
  const p = data.passkey as Record<string, string> | undefined;
  if (!p) return false;
  const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
  const b64url = (s: string) => Buffer.from(s, 'base64url');
  const eighteen = (amount: string) => {
    const [whole, fraction = ''] = amount.split('.');
    return `${whole}.${fraction.padEnd(18, '0')}`;
  };
  try {
    // 1. The digest of what the wallet is about to send, from the job's own fields.
    const fields = [
      'countersign-withdrawal-v1',
      data.userId,
      data.asset,
      data.network,
      eighteen(String(data.amount)),
      eighteen(typeof data.fee === 'string' ? data.fee : '0'),
      data.address,
    ];
    const digest = sha256(Buffer.from(fields.join('\u001f'), 'utf8'));
    if (digest.toString('hex') !== p.digest) return false;
    // 2. The challenge the customer's authenticator must have signed.
    const challenge = sha256(Buffer.from('countersign/webauthn/v1', 'utf8'), digest, Buffer.from(p.challengeId, 'utf8')).toString('base64url');
    // 3. What the browser says it asked for, and where.
    const clientDataJSON = b64url(p.clientDataJSON);
    const client = JSON.parse(clientDataJSON.toString('utf8')) as { type?: string; challenge?: string; origin?: string };
    if (client.type !== 'webauthn.get' || client.challenge !== challenge || !expected.origins.includes(client.origin ?? '')) return false;
    // 4. The authenticator: our rp id, the user present and verified.
    const authenticatorData = b64url(p.authenticatorData);
    if (!authenticatorData.subarray(0, 32).equals(sha256(Buffer.from(expected.rpId, 'utf8')))) return false;
    const flags = authenticatorData[32];
    if ((flags & 0x01) === 0 || (flags & 0x04) === 0) return false;
    // 5. The customer's signature over authenticatorData ‖ SHA-256(clientDataJSON).
    const { key, alg } = coseKey(b64url(p.publicKey));
    const signed = Buffer.concat([authenticatorData, sha256(clientDataJSON)]);
    const signature = b64url(p.signature);
    if (alg === -7) return verify('sha256', signed, { key, dsaEncoding: 'der' }, signature);
    if (alg === -8) return verify(null, signed, key, signature);
    if (alg === -257) return verify('sha256', signed, key, signature);
    return false;
  } catch {
    return false;
  }
}

/** A COSE_Key (RFC 9052) as a node:crypto public key: a CBOR map of small integer keys to integers and byte strings. */
function coseKey(bytes: Buffer): { key: KeyObject; alg: number } {
  let at = 0;
  const head = (): [number, number] => {
    const first = bytes[at++];
    const info = first & 0x1f;
    let n = info;
    if (info === 24) n = bytes[at++];
    else if (info === 25) {
      n = bytes.readUInt16BE(at);
      at += 2;
    } else if (info === 26) {
      n = bytes.readUInt32BE(at);
      at += 4;
    } else if (info > 26) throw new Error('unsupported CBOR length');
    return [first >> 5, n];
  };
  const item = (): number | Buffer => {
    const [major, n] = head();
    if (major === 0) return n;
    if (major === 1) return -1 - n;
    if (major === 2) return bytes.subarray(at, (at += n));
    throw new Error('unexpected CBOR item in a COSE key');
  };
  const [major, size] = head();
  if (major !== 5) throw new Error('a COSE key is a CBOR map');
  const map = new Map<number, number | Buffer>();
  for (let i = 0; i < size; i++) map.set(item() as number, item());
  const b64 = (label: number) => (map.get(label) as Buffer).toString('base64url');
  const kty = map.get(1);
  const alg = map.get(3) as number;
  if (kty === 2 && map.get(-1) === 1)
    return { alg, key: createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(-2), y: b64(-3) }, format: 'jwk' }) };
  if (kty === 1 && map.get(-1) === 6) return { alg, key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64(-2) }, format: 'jwk' }) };
  if (kty === 3) return { alg, key: createPublicKey({ key: { kty: 'RSA', n: b64(-1), e: b64(-2) }, format: 'jwk' }) };
  throw new Error('unsupported COSE key type');
}
