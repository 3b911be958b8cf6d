import { AuditRepository, Transactions } from '@app/database';
import { Injectable, Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { JobSigner } from './job-signer';

/**
 * The door of every consumer: a job is obeyed only when signed by an app allowed to produce it. Anything
 * else is refused for good (no retry) and audited with what it claimed to be, never with its data.
 */
@Injectable()
export class JobGate {
  private readonly logger = new Logger(JobGate.name);

  constructor(
    private readonly signer: JobSigner,
    private readonly transactions: Transactions,
    private readonly audit: AuditRepository,
  ) {}

  async admit(job: Job): Promise<void> {
    const refusal = this.signer.refusal({ queue: job.queueName, name: job.name, id: job.id, repeatJobKey: job.repeatJobKey, data: job.data });
    if (!refusal) return;
    this.logger.warn(`refused job ${job.queueName}/${job.name} (${refusal})`);
    await this.transactions.run((m) =>
      this.audit.append(m, { event: 'job_refused', detail: { queue: job.queueName, name: job.name, jobId: job.id ?? null, reason: refusal } }),
    );
    throw new UnrecoverableError(`job refused: ${refusal}`);
  }
}
