import { AppRole } from '@app/config';
import { Decision, HoldReason } from '@app/domain';
import type { Job } from 'bullmq';
import { QueueName } from './queue-name';

/** A withdrawal's email challenge, on the challenge-emails queue: retried until delivered or the withdrawal ends. */
export type ChallengeEmailJob = { name: 'send-challenge-email'; data: { withdrawalId: string } };

/** A withdrawal's push challenge to one device, on the pushes queue: retried like the email. */
export type ChallengePushJob = { name: 'send-challenge-push'; data: { withdrawalId: string; subscriptionId: string } };

/**
 * A new withdrawal's challenges, from the API, on the pushes queue: the push budget spent, the email's job
 * added, and the push to each device within the budget sent by this job itself.
 */
export type WithdrawalChallengesJob = { name: 'send-withdrawal-challenges'; data: { withdrawalId: string } };

/** Pushes, whatever they carry: a push service that hangs holds only these. */
export type PushJob = WithdrawalChallengesJob | ChallengePushJob | { name: 'send-notice-push'; data: { deliveryId: string } };

/**
 * Jobs of the notification worker. Payloads carry ids: the worker reads the rest from Postgres. Challenge
 * fan-outs, emails and pushes still found here were queued before they moved to queues of their own; they are
 * served.
 */
export type NotificationJob =
  | WithdrawalChallengesJob
  | ChallengeEmailJob
  | ChallengePushJob
  | { name: 'send-outcome-email'; data: { withdrawalId: string } }
  | { name: 'send-email-verification'; data: { verificationId: string } }
  /** One message of a security notice (a factor change announced on the old channels), with its own "this wasn't me" link. */
  | { name: 'send-notice-email'; data: { deliveryId: string } }
  | { name: 'send-notice-push'; data: { deliveryId: string } }
  /** `dedupeKey` names the alert itself, so a redelivery under any job id mails once. */
  | { name: 'send-security-alert'; data: { userId: string; alert: SecurityAlert; withdrawalId?: string; dedupeKey: string } }
  /**
   * To OPERATOR_ALERT_EMAIL (the worker's own setting, never an address from the job): a withdrawal held by
   * the risk controls — one per anomaly key per window — or an automatic pause. The worker reads the held
   * withdrawal and its keys from Postgres; `facts` are the figures that tripped the control.
   */
  | { name: 'send-operator-alert'; data: { alert: OperatorAlert; withdrawalId?: string; facts: OperatorAlertFacts; dedupeKey: string } };

export type SecurityAlert = 'totp_code_reused' | 'withdrawal_denied_not_me' | 'security_change_reported';

export type OperatorAlert = HoldReason | 'automatic_pause';

/** Figures only (counts, limits, durations): what the operators' email states beside what it reads from Postgres. */
export type OperatorAlertFacts = Record<string, number | string>;

/**
 * Evidence sealed to the confirmation service (see EvidenceSealer): the box opens only under its job's
 * name and id, so copied into another job it is worthless. Its contents are listed per job in
 * `ConfirmationEvidence`.
 */
export type SealedEvidence = { sealed: string };

/** What each evidence-carrying job seals: never readable in Redis, in a return value or in an event. */
export interface ConfirmationEvidence {
  'verify-totp': { code: string };
  'activate-totp': { code: string };
  /** `passkey`: the browser's WebAuthn assertion (JSON form), for a push approval that needs one. */
  'decide-token': { token: string; decision: Decision; matchCode?: string; passkey?: PasskeyAssertionJson };
  'change-email': StepUpEvidence;
  'verify-email': { token: string };
  'enrol-totp': { currentCode?: string };
  /** `auth`: the subscription's authentication secret, which with the push service's traffic would read every push. */
  'add-push-device': StepUpEvidence & { auth: string };
  'remove-push-device': StepUpEvidence;
  'add-address': StepUpEvidence;
  'remove-address': StepUpEvidence;
  'report-security-change': { token: string };
  'credit-deposit': OperatorEvidence;
  'release-withdrawal': OperatorEvidence;
  'reject-withdrawal': OperatorEvidence;
  'revoke-all-totp': OperatorEvidence;
  'freeze-account': OperatorEvidence;
  'unfreeze-account': OperatorEvidence;
  'passkey-registration-options': StepUpEvidence;
  /** The browser's registration response (JSON form), verified against the confirmation service's own challenge. */
  'add-passkey': { response: Record<string, unknown> };
  'remove-passkey': StepUpEvidence;
  /** The customer's phrase: in no job in clear, and never in a log. */
  'set-anti-phishing-code': StepUpEvidence & { code: string };
}

/** A WebAuthn assertion as the browser answers navigator.credentials.get() in JSON form (base64url values). */
export interface PasskeyAssertionJson {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  clientExtensionResults?: Record<string, unknown>;
  authenticatorAttachment?: string;
}

/** A TOTP code from the customer's active authenticator: a factor changes only with a factor. */
export type StepUpEvidence = { totpCode?: string };

/** An operator's own bearer token: the confirmation service verifies it (JWT_PUBLIC_KEY) and uses its jti once. */
export type OperatorEvidence = { operatorToken: string };

/**
 * Jobs of the confirmation service. Evidence jobs come straight from the API, which waits for their
 * verdict; they are never retried and are removed as soon as they finish.
 */
export type ConfirmationJob =
  | { name: 'verify-totp'; data: { userId: string; withdrawalId: string } & SealedEvidence }
  | { name: 'activate-totp'; data: { userId: string } & SealedEvidence }
  | { name: 'decide-token'; data: SealedEvidence }
  | { name: 'change-email'; data: { userId: string; email: string } & SealedEvidence }
  | { name: 'verify-email'; data: SealedEvidence }
  /** `sealedSecret`: the new authenticator's secret, sealed to the confirmation service for storage. */
  | { name: 'enrol-totp'; data: { userId: string; sealedSecret: string } & SealedEvidence }
  | { name: 'add-push-device'; data: { userId: string; endpoint: string; p256dh: string } & SealedEvidence }
  | { name: 'remove-push-device'; data: { userId: string; subscriptionId: string } & SealedEvidence }
  | { name: 'add-address'; data: { userId: string; asset: string; network: string; address: string; label: string } & SealedEvidence }
  | { name: 'remove-address'; data: { userId: string; addressId: string } & SealedEvidence }
  | { name: 'report-security-change'; data: SealedEvidence }
  | { name: 'cancel-withdrawal'; data: { userId: string; withdrawalId: string } }
  | { name: 'release-withdrawal'; data: { operatorId: string; withdrawalId: string } & SealedEvidence }
  | { name: 'reject-withdrawal'; data: { operatorId: string; withdrawalId: string; reason: string } & SealedEvidence }
  | { name: 'revoke-all-totp'; data: { operatorId: string; reason: string } & SealedEvidence }
  | { name: 'freeze-account'; data: { operatorId: string; userId: string; reason: string } & SealedEvidence }
  | { name: 'unfreeze-account'; data: { operatorId: string; userId: string } & SealedEvidence }
  | { name: 'credit-deposit'; data: { operatorId: string; userId: string; asset: string; amount: string; reference: string } & SealedEvidence }
  | { name: 'passkey-registration-options'; data: { userId: string } & SealedEvidence }
  | { name: 'add-passkey'; data: { userId: string; label: string } & SealedEvidence }
  | { name: 'remove-passkey'; data: { userId: string; passkeyId: string } & SealedEvidence }
  | { name: 'set-anti-phishing-code'; data: { userId: string } & SealedEvidence }
  | { name: 'expire-withdrawal'; data: { withdrawalId: string } }
  /** After a pause is lifted: post what was confirmed while paused. */
  | { name: 'resume-withdrawals'; data: { resumedAt: string } }
  | { name: 'sweep-expired'; data: Record<string, never> };

export type EvidenceJobName = keyof ConfirmationEvidence;

/** What the exchange's wallet consumes: one job per posted withdrawal, job id = withdrawal id. */
export interface WithdrawalPostedData {
  withdrawalId: string;
  /** The ledger transfer that posted the hold: the wallet records it against the payout. */
  transferId: string;
  userId: string;
  asset: string;
  network: string;
  amount: string;
  address: string;
  postedAt: string;
  /** With `userId`, `asset`, `network`, `amount` and `address`, what the withdrawal's digest is computed from. */
  fee?: string;
  /** Present when the push factor was approved with the customer's passkey: the wallet checks it itself. */
  passkey?: PasskeyProof;
}

/**
 * The customer's own signature over this withdrawal (shared/API.md): binary values base64url, `publicKey`
 * the COSE key as registered, `digest` hex. The wallet recomputes the digest from the job's fields, the
 * challenge from the digest and `challengeId`, and verifies `signature` over authenticatorData ‖
 * SHA-256(clientDataJSON) with `publicKey`.
 */
export interface PasskeyProof {
  credentialId: string;
  publicKey: string;
  authenticatorData: string;
  clientDataJSON: string;
  signature: string;
  challengeId: string;
  digest: string;
}
export type WithdrawalPostedJob = { name: 'withdrawal-posted'; data: WithdrawalPostedData };

export type QueueJob =
  | ({ queue: QueueName.Notifications } & NotificationJob)
  | ({ queue: QueueName.Confirmations } & ConfirmationJob)
  | ({ queue: QueueName.WithdrawalsPosted } & WithdrawalPostedJob)
  | ({ queue: QueueName.ChallengeEmails } & ChallengeEmailJob)
  | ({ queue: QueueName.Pushes } & PushJob);

/**
 * A received BullMQ job typed after a contract above: one Job per job name, so that a switch on `name`
 * narrows `data` to that job's payload (a plain `Job` has `data: any`).
 */
export type ReceivedJob<J extends { name: string; data: object }> = J extends unknown ? Job<J['data'], unknown, J['name']> : never;

/** A job as it travels: its contract's data and, in `signature`, its producer's signature (see JobSigner). */
export type SignedData<D> = D & {
  /** The request that led to the job (X-Request-Id or generated), for following it through the apps' logs. */
  requestId?: string;
  signature: JobSignature;
};

export interface JobSignature {
  /** The app that produced the job: it must be one allowed to produce this job name. */
  producer: AppRole;
  issuedAt: string;
  /** Ed25519 over the job's queue, name, id, producer, time and canonical data (without this field), base64url. */
  value: string;
}
