import { Decision } from '@app/domain';
import type { Job } from 'bullmq';
import { QueueName } from './queue-name';

/** Jobs of the notification worker. Payloads carry ids: the worker reads the rest from Postgres. */
export type NotificationJob =
  | { name: 'send-withdrawal-challenges'; data: { withdrawalId: string } }
  | { name: 'send-challenge-email'; data: { withdrawalId: string } }
  | { name: 'send-challenge-push'; data: { withdrawalId: string; subscriptionId: string } }
  | { name: 'send-outcome-email'; data: { withdrawalId: string } }
  | { name: 'send-email-verification'; data: { verificationId: string } }
  /** `dedupeKey` names the alert itself, so a redelivery under any job id mails once. */
  | { name: 'send-security-alert'; data: { userId: string; alert: SecurityAlert; withdrawalId?: string; dedupeKey: string } };

export type SecurityAlert = 'totp_code_reused' | 'withdrawal_denied_not_me';

/**
 * Jobs of the confirmation service. Evidence jobs (a code, a token) come straight from the API, which
 * waits for their verdict; they are never retried and their evidence is redacted as soon as it is read.
 */
export type ConfirmationJob =
  | { name: 'verify-totp'; data: { userId: string; withdrawalId: string; code: string } }
  | { name: 'activate-totp'; data: { userId: string; code: string } }
  | { name: 'verify-account-totp'; data: { userId: string; code: string } }
  | { name: 'decide-token'; data: { token: string; decision: Decision; matchCode?: string } }
  | { name: 'cancel-withdrawal'; data: { userId: string; withdrawalId: string } }
  | { name: 'release-withdrawal'; data: { operatorId: string; withdrawalId: string } }
  | { name: 'reject-withdrawal'; data: { operatorId: string; withdrawalId: string; reason: string } }
  | { name: 'revoke-all-totp'; data: { operatorId: string; reason: string } }
  /** The operator's own bearer token travels as evidence: the confirmation service checks it before crediting. */
  | { name: 'credit-deposit'; data: { operatorToken: string; userId: string; asset: string; amount: string; reference: string } }
  | { name: 'expire-withdrawal'; data: { withdrawalId: string } }
  /** After a pause is lifted: post what was confirmed while paused. */
  | { name: 'resume-withdrawals'; data: { resumedAt: string } }
  | { name: 'sweep-expired'; data: Record<string, never> };

/** What the exchange's wallet consumes: one job per posted withdrawal, job id = withdrawal id. */
export interface WithdrawalPostedData {
  withdrawalId: string;
  userId: string;
  asset: string;
  network: string;
  amount: string;
  address: string;
  postedAt: string;
}
export type WithdrawalPostedJob = { name: 'withdrawal-posted'; data: WithdrawalPostedData };

export type QueueJob =
  | ({ queue: QueueName.Notifications } & NotificationJob)
  | ({ queue: QueueName.Confirmations } & ConfirmationJob)
  | ({ queue: QueueName.WithdrawalsPosted } & WithdrawalPostedJob);

/**
 * A received BullMQ job typed after a contract above: one Job per job name, so that a switch on `name`
 * narrows `data` to that job's payload (a plain `Job` has `data: any`).
 */
export type ReceivedJob<J extends { name: string; data: object }> = J extends unknown ? Job<J['data'], unknown, J['name']> : never;

/** Evidence fields never shown on the dashboard and wiped from a job once read. */
export const EVIDENCE_FIELDS = ['code', 'token', 'matchCode', 'operatorToken'] as const;
