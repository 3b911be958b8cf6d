import { KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** What a job's signature covers: everything a consumer acts on, and who says so when. */
export interface SignedJobFields {
  queue: string;
  name: string;
  /** The job id, or `*` for jobs whose id the queue makes (repeating schedules). */
  jobId: string;
  producer: string;
  issuedAt: string;
  data: unknown;
}

/** The bytes an Ed25519 signature is made over (the wallet rebuilds them the same way, see the README). */
export function jobSigningBytes(f: SignedJobFields): Buffer {
  return Buffer.from(['countersign-job-v1', f.queue, f.name, f.jobId, f.producer, f.issuedAt, canonicalJson(f.data)].join('\u001f'), 'utf8');
}

export function signJob(privateKey: KeyObject, fields: SignedJobFields): string {
  return sign(null, jobSigningBytes(fields), privateKey).toString('base64url');
}

export function verifyJobSignature(publicKey: KeyObject, fields: SignedJobFields, signature: string): boolean {
  try {
    return verify(null, jobSigningBytes(fields), publicKey, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
