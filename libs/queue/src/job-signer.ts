import { AppConfig, APP_CONFIG, AppRole, APP_ROLES } from '@app/config';
import { currentRequestId } from '@app/logging';
import { asPrivateKey, asPublicKey, signJob, verifyJobSignature } from '@app/crypto';
import { Inject, Injectable } from '@nestjs/common';
import { KeyObject } from 'node:crypto';
import { JobSignature, SignedData } from './job-contracts';
import { JOB_PRODUCERS, REPEATING_JOBS } from './job-producers';
import { QueueName } from './queue-name';

/** A job's claim is checked against these: a clock a little ahead is tolerated, a job from the future is not. */
const CLOCK_SKEW_MS = 60_000;

export type JobRefusal = 'unsigned' | 'producer_not_allowed' | 'bad_signature' | 'from_the_future';

/** The parts of a received job that its signature covers. */
export interface ReceivedJobFields {
  queue: string;
  name: string;
  id: string | undefined;
  /** Set when a queue's scheduler made the job (its id is the scheduler's). */
  repeatJobKey?: string;
  data: unknown;
}

/**
 * Signs the jobs this app produces with its own Ed25519 key, and checks a received job's signature and its
 * producer's right to that job name: whoever can write to Redis gets nothing obeyed without a producer's key.
 */
@Injectable()
export class JobSigner {
  private readonly app: AppRole;
  private readonly privateKey?: KeyObject;
  private readonly publicKeys: Record<AppRole, KeyObject>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (!config.app) throw new Error('JobSigner needs the configuration of an app');
    this.app = config.app;
    const own = config.signing[config.app].privateKey;
    if (own) this.privateKey = asPrivateKey(own);
    this.publicKeys = Object.fromEntries(APP_ROLES.map((role) => [role, asPublicKey(config.signing[role].publicKey)])) as Record<AppRole, KeyObject>;
  }

  /**
   * The job's data with this app's signature over it, for `jobId` (`*` for a repeating schedule). The
   * request id of the request (or job) producing it travels in the data, signed with the rest.
   */
  sign<D extends object>(queue: QueueName, name: string, jobId: string, data: D): SignedData<D> {
    if (!this.privateKey) throw new Error(`${this.app} has no signing key`);
    const requestId = currentRequestId();
    const carried = requestId && !('requestId' in data) ? { ...data, requestId } : data;
    const issuedAt = new Date().toISOString();
    const value = signJob(this.privateKey, { queue, name, jobId, producer: this.app, issuedAt, data: carried });
    const signature: JobSignature = { producer: this.app, issuedAt, value };
    return { ...carried, signature };
  }

  /** Undefined when the job is signed by a producer allowed to make it; else why it is refused. */
  refusal(job: ReceivedJobFields): JobRefusal | undefined {
    const { signature, ...data } = (job.data ?? {}) as { signature?: Partial<JobSignature> };
    if (!signature || typeof signature.producer !== 'string' || typeof signature.issuedAt !== 'string' || typeof signature.value !== 'string') {
      return 'unsigned';
    }
    const producer = signature.producer;
    const allowed = (JOB_PRODUCERS as Record<string, Record<string, readonly AppRole[]> | undefined>)[job.queue]?.[job.name];
    if (!allowed?.includes(producer) || !this.publicKeys[producer]) return 'producer_not_allowed';
    const jobId = job.repeatJobKey && REPEATING_JOBS.includes(job.name) ? '*' : (job.id ?? '');
    const fields = { queue: job.queue, name: job.name, jobId, producer, issuedAt: signature.issuedAt, data };
    if (!verifyJobSignature(this.publicKeys[producer], fields, signature.value)) return 'bad_signature';
    if (Date.parse(signature.issuedAt) > Date.now() + CLOCK_SKEW_MS) return 'from_the_future';
    return undefined;
  }
}
