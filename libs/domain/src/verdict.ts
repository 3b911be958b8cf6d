import { Factor } from './factor';
import { ProblemCode } from './problem-codes';

/** The confirmation service's answer to a job the API waits on: what happened, or which problem. */
export type Verdict = VerdictOk | VerdictProblem;

export interface VerdictOk {
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

export interface VerdictProblem {
  ok: false;
  code: ProblemCode;
  detail?: string;
  retryAfterSeconds?: number;
}

export const problem = (code: ProblemCode, detail?: string, retryAfterSeconds?: number): VerdictProblem => ({
  ok: false,
  code,
  ...(detail === undefined ? {} : { detail }),
  ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
});
