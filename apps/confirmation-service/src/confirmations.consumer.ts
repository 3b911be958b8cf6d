import { ConfirmationJob, EVIDENCE_FIELDS, OutboxRelay, QueueName, ReceivedJob } from '@app/queue';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { CreditDeposit } from './deposits/credit-deposit';
import { ExpireWithdrawals } from './expiry/expire-withdrawals';
import { ResumeWithdrawals } from './pause/resume-withdrawals';
import { DecideToken } from './tokens/decide-token';
import { CustomerTotp } from './totp/customer-totp';
import { VerifyWithdrawalTotp } from './totp/verify-withdrawal-totp';
import { CancelWithdrawal } from './withdrawals/cancel-withdrawal';
import { OperatorDecisions } from './withdrawals/operator-decisions';

/** Every state change of a withdrawal happens here, one job at a time per customer (row locks). */
@Processor(QueueName.Confirmations, { concurrency: 8 })
export class ConfirmationsConsumer extends WorkerHost {
  constructor(
    private readonly verifyTotp: VerifyWithdrawalTotp,
    private readonly customerTotp: CustomerTotp,
    private readonly decideToken: DecideToken,
    private readonly cancelWithdrawal: CancelWithdrawal,
    private readonly operators: OperatorDecisions,
    private readonly deposits: CreditDeposit,
    private readonly expiry: ExpireWithdrawals,
    private readonly resume: ResumeWithdrawals,
    private readonly relay: OutboxRelay,
  ) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    try {
      return await this.decide(job as ReceivedJob<ConfirmationJob>);
    } finally {
      // Whatever the decision committed to the outbox goes out now rather than at the next poll.
      this.relay.kick();
    }
  }

  private async decide(typed: ReceivedJob<ConfirmationJob>): Promise<unknown> {
    switch (typed.name) {
      case 'verify-totp':
        return this.verifyTotp.execute(await this.takeEvidence(typed, typed.data));
      case 'activate-totp':
        return this.customerTotp.activate(await this.takeEvidence(typed, typed.data));
      case 'verify-account-totp':
        return this.customerTotp.verify(await this.takeEvidence(typed, typed.data));
      case 'decide-token':
        return this.decideToken.execute(await this.takeEvidence(typed, typed.data));
      case 'cancel-withdrawal':
        return this.cancelWithdrawal.execute(typed.data);
      case 'release-withdrawal':
        return this.operators.release(typed.data);
      case 'reject-withdrawal':
        return this.operators.reject(typed.data);
      case 'revoke-all-totp':
        return this.operators.revokeAllTotp(typed.data);
      case 'credit-deposit':
        return this.deposits.execute(await this.takeEvidence(typed, typed.data));
      case 'expire-withdrawal':
        return { expired: await this.expiry.expire(typed.data.withdrawalId) };
      case 'resume-withdrawals':
        return this.resume.execute();
      case 'sweep-expired':
        return { expired: await this.expiry.sweep() };
      default: {
        const unknown: never = typed;
        throw new UnrecoverableError(`unknown confirmation job ${(unknown as Job).name}`);
      }
    }
  }

  /** Keeps the evidence in memory only: the job in Redis (and on the dashboard) keeps a redacted copy. */
  private async takeEvidence<T extends object>(job: Job, data: T): Promise<T> {
    const fields = EVIDENCE_FIELDS.filter((f) => f in data);
    if (fields.length === 0) throw new UnrecoverableError('evidence already taken: this job cannot be replayed');
    const redacted = { ...data, ...Object.fromEntries(fields.map((f) => [f, undefined])) };
    await job.updateData(redacted);
    return data;
  }
}
