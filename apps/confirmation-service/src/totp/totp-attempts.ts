import { APP_CONFIG, AppConfig } from '@app/config';
import { matchTotpStep, openTotpSecret } from '@app/crypto';
import { AuditRepository, RecentFailures, RecordedChange, TotpCheckFacts, TotpRepository } from '@app/database';
import { problem, VerdictProblem } from '@app/domain';
import { jobId, Outbox, QueueName } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TOTP_FAILURE_WINDOW_SECONDS, TOTP_FAILURES_PER_USER } from './totp-policy';

/** too_many_attempts, with when to retry, once the customer's failures fill the window. */
function lockoutOf({ failures, oldest }: RecentFailures): VerdictProblem | undefined {
  if (failures < TOTP_FAILURES_PER_USER || !oldest) return undefined;
  const retryAfterSeconds = Math.max(1, Math.ceil((oldest.getTime() + TOTP_FAILURE_WINDOW_SECONDS * 1000 - Date.now()) / 1000));
  return problem('too_many_attempts', undefined, retryAfterSeconds);
}

/** What decides whether a code may be checked at all: the customer's lockout, if any, and the enrolment to check it against. */
export interface CheckFirst {
  lockout?: VerdictProblem;
  enrolment?: { id: string; sealedSecret: string };
}

export type CodeCheck = { kind: 'matched'; step: number } | { kind: 'reused'; step: number } | { kind: 'wrong' };

/**
 * What activation and withdrawal confirmation share: the per-customer failure window, opening the sealed
 * secret, and the replay guard. Callers hold the customer's row lock, so none of this can be raced.
 */
@Injectable()
export class TotpAttempts {
  private readonly privateKey: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly totp: TotpRepository,
    private readonly outbox: Outbox,
    private readonly audit: AuditRepository,
  ) {
    if (!config.totpSeal.privateKey) throw new Error('TOTP_SEAL_PRIVATE_KEY is required by the confirmation service');
    this.privateKey = config.totpSeal.privateKey;
  }

  /** The too_many_attempts verdict when the customer has used up the window, else undefined. */
  async userLockout(m: EntityManager, userId: string): Promise<VerdictProblem | undefined> {
    return lockoutOf(await this.totp.recentFailures(m, userId, TOTP_FAILURE_WINDOW_SECONDS, TOTP_FAILURES_PER_USER));
  }

  /**
   * What a check needs first, read in one statement: the lockout verdict (as userLockout) and the customer's
   * newest enrolment in `status`, whose sealed secret check() opens.
   */
  async beforeCheck(m: EntityManager, userId: string, status: 'active' | 'pending'): Promise<CheckFirst> {
    return this.judge(await this.totp.beforeCheck(m, userId, status, TOTP_FAILURE_WINDOW_SECONDS, TOTP_FAILURES_PER_USER));
  }

  /** beforeCheck's answer from facts already read (with a decision's locks: WithdrawalLocks.lockForTotpDecision). */
  judge(read: TotpCheckFacts): CheckFirst {
    return { lockout: lockoutOf(read), enrolment: read.enrolment };
  }

  async recordFailure(m: EntityManager, userId: string, withdrawalId: string | null): Promise<void> {
    await this.totp.recordFailure(m, userId, withdrawalId);
    await this.audit.append(m, { event: 'totp_failed', userId, withdrawalId });
  }

  /**
   * Checks a code against a sealed secret and, when it matches, consumes its time step for this customer.
   * A step already consumed is a replay: refused, logged and mailed to the customer.
   */
  async check(m: EntityManager, userId: string, sealedSecret: string, code: string, withdrawalId: string | null): Promise<CodeCheck> {
    const step = this.stepOf(sealedSecret, code);
    if (step === null) return { kind: 'wrong' };
    if (await this.totp.useStep(m, userId, step)) return { kind: 'matched', step };
    await this.reportReuse(m, userId, step, withdrawalId);
    return { kind: 'reused', step };
  }

  /**
   * check(), against the steps the customer had used (read under their lock): a replay is reported as there,
   * but a matched step is not consumed here. Its consumption (useStepChange) goes into the caller's own
   * statement, the decision's.
   */
  async checkAgainst(
    m: EntityManager,
    userId: string,
    sealedSecret: string,
    code: string,
    withdrawalId: string,
    usedSteps: readonly number[],
  ): Promise<CodeCheck> {
    const step = this.stepOf(sealedSecret, code);
    if (step === null) return { kind: 'wrong' };
    if (!usedSteps.includes(step)) return { kind: 'matched', step };
    await this.reportReuse(m, userId, step, withdrawalId);
    return { kind: 'reused', step };
  }

  /** A step checkAgainst matched, consumed in a statement of its own (when no decision carries it). */
  async useStep(m: EntityManager, userId: string, step: number): Promise<void> {
    await this.totp.useStep(m, userId, step);
  }

  /** A matched step's consumption, as a change for the decision's statement (checkAgainst). */
  useStepChange(userId: string, step: number): RecordedChange {
    return this.totp.useStepChange(userId, step);
  }

  private stepOf(sealedSecret: string, code: string): number | null {
    return matchTotpStep(openTotpSecret(sealedSecret, this.privateKey), code, Date.now());
  }

  private async reportReuse(m: EntityManager, userId: string, step: number, withdrawalId: string | null): Promise<void> {
    await this.audit.append(m, { event: 'totp_code_reused', userId, withdrawalId, detail: { step } });
    const dedupeKey = `alert-totp-reused-${userId}-${step}`;
    await this.outbox.add(m, [
      {
        queue: QueueName.Notifications,
        name: 'send-security-alert',
        // The customer id may hold anything (":", "/", spaces): jobId() keeps BullMQ's id rules whatever it holds.
        jobId: jobId('alert-totp-reused', userId, step),
        data: { userId, alert: 'totp_code_reused', dedupeKey, ...(withdrawalId ? { withdrawalId } : {}) },
      },
    ]);
  }
}
