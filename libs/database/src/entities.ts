import { WithdrawalAddressEntity } from './addresses/withdrawal-address.entity';
import { AuditEventEntity } from './audit/audit-event.entity';
import { ChallengeEntity } from './challenges/challenge.entity';
import { CustomerEntity } from './customers/customer.entity';
import { EmailVerificationEntity } from './email-verifications/email-verification.entity';
import { LedgerAccountEntity, LedgerTransferEntity } from './ledger/ledger.entity';
import { OperatorTokenUseEntity } from './operator-tokens/operator-token-use.entity';
import { OutboxEntryEntity } from './outbox/outbox-entry.entity';
import { WithdrawalPauseEntity } from './pause/withdrawal-pause.entity';
import { PushSubscriptionEntity } from './push-subscriptions/push-subscription.entity';
import { RiskAlertEntity, WithdrawalRiskEntity } from './risk/withdrawal-risk.entity';
import { NoticeDeliveryEntity, SecurityNoticeEntity } from './security-notices/security-notice.entity';
import { SentNotificationEntity } from './sent-notifications/sent-notification.entity';
import { TotpEnrolmentEntity, TotpFailureEntity, TotpUsedStepEntity } from './totp/totp.entity';
import { WithdrawalEntity, WithdrawalFactorEntity } from './withdrawals/withdrawal.entity';
import { PasskeyEntity, PasskeyRegistrationEntity } from './passkeys/passkey.entity';
import { AntiPhishingCodeEntity } from './anti-phishing-codes/anti-phishing-code.entity';

/** Every table of the schema, as the migrations make it. */
export const ENTITIES = [
  CustomerEntity,
  EmailVerificationEntity,
  TotpEnrolmentEntity,
  TotpUsedStepEntity,
  TotpFailureEntity,
  PushSubscriptionEntity,
  WithdrawalAddressEntity,
  WithdrawalEntity,
  WithdrawalFactorEntity,
  ChallengeEntity,
  SentNotificationEntity,
  OutboxEntryEntity,
  AuditEventEntity,
  WithdrawalPauseEntity,
  LedgerAccountEntity,
  LedgerTransferEntity,
  OperatorTokenUseEntity,
  SecurityNoticeEntity,
  NoticeDeliveryEntity,
  WithdrawalRiskEntity,
  RiskAlertEntity,
  PasskeyEntity,
  PasskeyRegistrationEntity,
  AntiPhishingCodeEntity,
];
