import { Factor } from './factor';
import { ProblemCode } from './problem-codes';

/** The confirmation service's answer to a job the API waits on: what happened, or which problem. */
export type Verdict = VerdictOk | VerdictProblem;

/** What every verdict may carry besides its answer. */
interface VerdictChanges {
  /**
   * The withdrawals the job's commits changed, told to the API that relays the verdict so that its next
   * poll does not answer from a document cached before them (the change feed may tell it later, or never).
   */
  changedWithdrawals?: string[];
}

export interface VerdictOk extends VerdictChanges {
  ok: true;
  factor?: Factor;
  status?: string;
  transferId?: string;
  created?: boolean;
  /** What the action made: a push device's or an address's id. */
  id?: string;
  usableAt?: string;
  /** A passkey registration's creation options (WebAuthn JSON form), made by the confirmation service. */
  registrationOptions?: Record<string, unknown>;
  /** A passkey the action registered. */
  passkey?: { id: string; label: string; createdAt: string };
}

export interface VerdictProblem extends VerdictChanges {
  ok: false;
  code: ProblemCode;
  detail?: string;
  retryAfterSeconds?: number;
}

/** Whether a job's result is a verdict (the answer to a job the API waits on), not a scheduled job's tally. */
export const isVerdict = (result: unknown): result is Verdict =>
  typeof result === 'object' && result !== null && typeof (result as { ok?: unknown }).ok === 'boolean';

export const problem = (code: ProblemCode, detail?: string, retryAfterSeconds?: number): VerdictProblem => ({
  ok: false,
  code,
  ...(detail === undefined ? {} : { detail }),
  ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
});
