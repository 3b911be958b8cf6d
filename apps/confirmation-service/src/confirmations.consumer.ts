import {
  ConfirmationJob,
  EvidenceJobName,
  EvidenceOpener,
  EvidenceRefused,
  JobGate,
  QueueName,
  ReceivedJob,
  runJob,
  SealedEvidence,
  WORKER_OPTIONS,
} from '@app/queue';
import { AuditRepository, Transactions } from '@app/database';
import { isVerdict } from '@app/domain';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { ExpireWithdrawals } from './expiry/expire-withdrawals';
import { CreditDeposit } from './operators/credit-deposit';
import { OperatorDecisions } from './operators/operator-decisions';
import { ResumeWithdrawals } from './pause/resume-withdrawals';
import { DecideToken } from './tokens/decide-token';
import { Addresses } from './security-changes/addresses';
import { EmailChanges } from './security-changes/email-changes';
import { PushDevices } from './security-changes/push-devices';
import { ReportSecurityChange } from './security-changes/report-security-change';
import { TotpEnrolment } from './security-changes/totp-enrolment';
import { AntiPhishingCode } from './security-changes/anti-phishing-code';
import { PasskeyRegistration } from './passkeys/passkey-registration';
import { VerifyWithdrawalTotp } from './totp/verify-withdrawal-totp';
import { CancelWithdrawal } from './withdrawals/cancel-withdrawal';

/**
 * Every state change of a withdrawal happens here, one job at a time per customer (row locks). A job is
 * obeyed only when signed by an app allowed to produce it (JobGate); evidence is opened here and nowhere
 * else, and only under its own job's name and id.
 */
@Processor(QueueName.Confirmations, { ...WORKER_OPTIONS, concurrency: 8 })
export class ConfirmationsConsumer extends WorkerHost {
  private readonly logger = new Logger(ConfirmationsConsumer.name);

  constructor(
    private readonly gate: JobGate,
    private readonly evidence: EvidenceOpener,
    private readonly transactions: Transactions,
    private readonly audit: AuditRepository,
    private readonly verifyTotp: VerifyWithdrawalTotp,
    private readonly totpEnrolment: TotpEnrolment,
    private readonly emailChanges: EmailChanges,
    private readonly pushDevices: PushDevices,
    private readonly addresses: Addresses,
    private readonly reports: ReportSecurityChange,
    private readonly decideToken: DecideToken,
    private readonly cancelWithdrawal: CancelWithdrawal,
    private readonly operators: OperatorDecisions,
    private readonly deposits: CreditDeposit,
    private readonly expiry: ExpireWithdrawals,
    private readonly resume: ResumeWithdrawals,
    private readonly passkeyRegistration: PasskeyRegistration,
    private readonly antiPhishingCode: AntiPhishingCode,
  ) {
    super();
  }

  process(job: Job): Promise<unknown> {
    return runJob(job, () => this.handle(job));
  }

  private async handle(job: Job): Promise<unknown> {
    await this.gate.admit(job);
    // Whatever the decision commits to the outbox goes out at once: the relay is kicked by the commit.
    const { result, changed } = await this.transactions.noteChanges(() => this.decide(job as ReceivedJob<ConfirmationJob>));
    // The API relaying the verdict forgets what it cached of these before it answers: read-your-writes
    // does not wait on the change feed, whose message is on another connection and may come later or never.
    return isVerdict(result) && changed.length ? { ...result, changedWithdrawals: changed } : result;
  }

  private async decide(job: ReceivedJob<ConfirmationJob>): Promise<unknown> {
    switch (job.name) {
      case 'verify-totp':
        return this.verifyTotp.execute({ ...job.data, ...(await this.open(job, job.data)) });
      case 'enrol-totp':
        return this.totpEnrolment.enrol({ ...job.data, ...(await this.open(job, job.data)) });
      case 'activate-totp':
        return this.totpEnrolment.activate({ ...job.data, ...(await this.open(job, job.data)) });
      case 'change-email':
        return this.emailChanges.request({ ...job.data, ...(await this.open(job, job.data)) });
      case 'verify-email':
        return this.emailChanges.verify(await this.open(job, job.data));
      case 'add-push-device':
        return this.pushDevices.add({ ...job.data, ...(await this.open(job, job.data)) });
      case 'remove-push-device':
        return this.pushDevices.remove({ ...job.data, ...(await this.open(job, job.data)) });
      case 'add-address':
        return this.addresses.add({ ...job.data, ...(await this.open(job, job.data)) });
      case 'remove-address':
        return this.addresses.remove({ ...job.data, ...(await this.open(job, job.data)) });
      case 'report-security-change':
        return this.reports.execute(await this.open(job, job.data));
      case 'decide-token':
        return this.decideToken.execute(await this.open(job, job.data));
      case 'cancel-withdrawal':
        return this.cancelWithdrawal.execute(job.data);
      case 'release-withdrawal':
        return this.operators.release({ ...job.data, ...(await this.open(job, job.data)) });
      case 'reject-withdrawal':
        return this.operators.reject({ ...job.data, ...(await this.open(job, job.data)) });
      case 'revoke-all-totp':
        return this.operators.revokeAllTotp({ ...job.data, ...(await this.open(job, job.data)) });
      case 'freeze-account':
        return this.operators.freeze({ ...job.data, ...(await this.open(job, job.data)) });
      case 'unfreeze-account':
        return this.operators.unfreeze({ ...job.data, ...(await this.open(job, job.data)) });
      case 'credit-deposit':
        return this.deposits.execute({ ...job.data, ...(await this.open(job, job.data)) });
      case 'passkey-registration-options':
        return this.passkeyRegistration.options({ ...job.data, ...(await this.open(job, job.data)) });
      case 'add-passkey':
        return this.passkeyRegistration.add({ ...job.data, ...(await this.open(job, job.data)) });
      case 'remove-passkey':
        return this.passkeyRegistration.remove({ ...job.data, ...(await this.open(job, job.data)) });
      case 'set-anti-phishing-code':
        return this.antiPhishingCode.set({ ...job.data, ...(await this.open(job, job.data)) });
      case 'expire-withdrawal':
        return { expired: await this.expiry.expire(job.data.withdrawalId) };
      case 'resume-withdrawals':
        return this.resume.execute();
      case 'sweep-expired':
        return { expired: await this.expiry.sweep() };
      default: {
        const unknown: never = job;
        throw new UnrecoverableError(`unknown confirmation job ${(unknown as Job).name}`);
      }
    }
  }

  /** The job's evidence, opened under its own name and id; a box from anywhere else is refused and audited. */
  private async open<N extends EvidenceJobName>(job: Job<unknown, unknown, N>, data: SealedEvidence) {
    try {
      return this.evidence.open(job.name, job.id, data);
    } catch (error) {
      if (!(error instanceof EvidenceRefused)) throw error;
      await this.transactions.run((m) =>
        this.audit.append(m, { event: 'job_refused', detail: { queue: job.queueName, name: job.name, jobId: job.id ?? null, reason: 'evidence' } }),
      );
      throw new UnrecoverableError('job refused: its evidence does not open here');
    }
  }

  /** Failures, for operators: the job's queue, name and id and the reason — never its data. */
  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    this.logger.warn(
      `job ${job?.queueName ?? '?'}/${job?.name ?? '?'} ${job?.id ?? '?'} failed (attempt ${job?.attemptsMade ?? 0}): ${error.message}`,
    );
  }
}
