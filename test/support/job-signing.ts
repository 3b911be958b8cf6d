import { AppRole } from '@app/config';
import { privateKeyFromBase64, publicKeyFromBase64, seal, signJob } from '@app/crypto';
import { ConfirmationEvidence, EvidenceJobName, QueueName } from '@app/queue';
import { TestEnvironment } from './test-suite';

const PRIVATE_KEYS = {
  api: 'API_SIGNING_PRIVATE_KEY',
  notifier: 'NOTIFIER_SIGNING_PRIVATE_KEY',
  confirmer: 'CONFIRMER_SIGNING_PRIVATE_KEY',
} as const;

/**
 * What an app would put into Redis, made by a test that holds the apps' keys: a legitimate producer sending
 * a job again (at-least-once delivery), as opposed to an attacker, who holds none of these keys.
 */
export class TestJobs {
  constructor(private readonly env: TestEnvironment) {}

  /** `data` signed as `producer` would sign it for this queue, name and job id. */
  sign<D extends object>(queue: QueueName, name: string, jobId: string, data: D, producer: AppRole): D & { signature: object } {
    const issuedAt = new Date().toISOString();
    const privateKey = privateKeyFromBase64(this.env.env[PRIVATE_KEYS[producer]]);
    const value = signJob(privateKey, { queue, name, jobId, producer, issuedAt, data });
    return { ...data, signature: { producer, issuedAt, value } };
  }

  /** Evidence sealed to the confirmation service for this job, as the API seals it. */
  seal<N extends EvidenceJobName>(name: N, jobId: string, evidence: ConfirmationEvidence[N]): { sealed: string } {
    return { sealed: seal(publicKeyFromBase64(this.env.env.TOTP_SEAL_PUBLIC_KEY), JSON.stringify(evidence), `job/${name}/${jobId}`) };
  }
}
