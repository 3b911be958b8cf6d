import { AppConfig, APP_CONFIG, AppRole } from '@app/config';
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WithdrawalAddressRepository } from './addresses/withdrawal-address.repository';
import { APP_ROLE } from './app-role';
import { AuditRepository } from './audit/audit.repository';
import { RecordedChangeRepository } from './recorded-change.repository';
import { ChallengeRepository } from './challenges/challenge.repository';
import { CustomerRepository } from './customers/customer.repository';
import { dataSourceOptions } from './data-source-options';
import { EmailVerificationRepository } from './email-verifications/email-verification.repository';
import { LedgerRepository } from './ledger/ledger.repository';
import { OperatorTokenRepository } from './operator-tokens/operator-token.repository';
import { OutboxRepository } from './outbox/outbox.repository';
import { WithdrawalPauseRepository } from './pause/withdrawal-pause.repository';
import { PushSubscriptionRepository } from './push-subscriptions/push-subscription.repository';
import { WithdrawalRiskRepository } from './risk/withdrawal-risk.repository';
import { SecurityNoticeRepository } from './security-notices/security-notice.repository';
import { SentNotificationRepository } from './sent-notifications/sent-notification.repository';
import { TotpRepository } from './totp/totp.repository';
import { Transactions } from './transactions';
import { WithdrawalRepository } from './withdrawals/withdrawal.repository';
import { PasskeyRepository } from './passkeys/passkey.repository';
import { AntiPhishingCodeRepository } from './anti-phishing-codes/anti-phishing-code.repository';

const REPOSITORIES = [
  AuditRepository,
  RecordedChangeRepository,
  ChallengeRepository,
  CustomerRepository,
  EmailVerificationRepository,
  LedgerRepository,
  OperatorTokenRepository,
  OutboxRepository,
  PushSubscriptionRepository,
  SecurityNoticeRepository,
  SentNotificationRepository,
  TotpRepository,
  WithdrawalAddressRepository,
  WithdrawalPauseRepository,
  WithdrawalRepository,
  WithdrawalRiskRepository,
  PasskeyRepository,
  AntiPhishingCodeRepository,
];

/**
 * Connects an app to Postgres as its own least-privilege role and gives it the repositories: the only
 * code that reads or writes the tables. What a role may not do, Postgres refuses whatever the code says.
 */
@Module({})
export class DatabaseModule {
  static forApp(role: AppRole): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => dataSourceOptions(config.databaseUrls[role]),
        }),
      ],
      providers: [{ provide: APP_ROLE, useValue: role }, Transactions, ...REPOSITORIES],
      exports: [APP_ROLE, Transactions, ...REPOSITORIES],
    };
  }
}
