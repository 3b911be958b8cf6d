import { AppRole } from '@app/config';
import { QueueJob } from './job-contracts';
import { QueueName } from './queue-name';

type Producers<J extends { name: string }> = Record<J['name'], readonly AppRole[]>;

/**
 * Which app may produce each job: a consumer obeys a job only if its signature is by one of these. The
 * outbox's database guard (outbox_producers) holds the same rule for what goes through the outbox.
 */
export const JOB_PRODUCERS: { [Q in QueueName]: Producers<QueueJobOf<Q>> } = {
  [QueueName.Notifications]: {
    'send-withdrawal-challenges': ['api'],
    'send-challenge-email': ['notifier'],
    'send-challenge-push': ['notifier'],
    'send-outcome-email': ['confirmer'],
    'send-email-verification': ['confirmer'],
    'send-notice-email': ['confirmer'],
    'send-notice-push': ['confirmer'],
    'send-security-alert': ['confirmer'],
    'send-operator-alert': ['api'],
  },
  [QueueName.Confirmations]: {
    'verify-totp': ['api'],
    'activate-totp': ['api'],
    'change-email': ['api'],
    'verify-email': ['api'],
    'enrol-totp': ['api'],
    'add-push-device': ['api'],
    'remove-push-device': ['api'],
    'add-address': ['api'],
    'remove-address': ['api'],
    'report-security-change': ['api'],
    'decide-token': ['api'],
    'cancel-withdrawal': ['api'],
    'release-withdrawal': ['api'],
    'reject-withdrawal': ['api'],
    'revoke-all-totp': ['api'],
    'freeze-account': ['api'],
    'unfreeze-account': ['api'],
    'credit-deposit': ['api'],
    'passkey-registration-options': ['api'],
    'add-passkey': ['api'],
    'remove-passkey': ['api'],
    'set-anti-phishing-code': ['api'],
    'expire-withdrawal': ['api', 'confirmer'],
    'resume-withdrawals': ['api'],
    'sweep-expired': ['confirmer'],
  },
  [QueueName.WithdrawalsPosted]: {
    'withdrawal-posted': ['confirmer'],
  },
  [QueueName.ChallengeEmails]: {
    'send-challenge-email': ['notifier'],
  },
  [QueueName.Pushes]: {
    'send-withdrawal-challenges': ['api'],
    'send-challenge-push': ['notifier'],
    'send-notice-push': ['confirmer'],
  },
};

/** Jobs a queue's scheduler repeats under ids of its own: signed with `*` for the id, harmless when replayed. */
export const REPEATING_JOBS: readonly string[] = ['sweep-expired'];

/** The contract of each queue's jobs. */
type QueueJobOf<Q extends QueueName> =
  Extract<QueueJob, { queue: Q }> extends infer J ? (J extends unknown ? Omit<J, 'queue'> & { name: string } : never) : never;
