import { AppConfig, ConfigModule } from '@app/config';
import { JwtVerifier } from '@app/crypto';
import { AdvisoryLeadership, DatabaseModule } from '@app/database';
import { LivenessModule, QueueModule } from '@app/queue';
import { DynamicModule, Module } from '@nestjs/common';
import { ConfirmationsConsumer } from './confirmations.consumer';
import { CreditDeposit } from './operators/credit-deposit';
import { OperatorDecisions } from './operators/operator-decisions';
import { OperatorProofs } from './operators/operator-proofs';
import { ExpireWithdrawals } from './expiry/expire-withdrawals';
import { ExpirySchedule } from './expiry/expiry-schedule';
import { HandOffs } from './reconciliation/hand-offs';
import { Reconciler } from './reconciliation/reconciler';
import { ResumeWithdrawals } from './pause/resume-withdrawals';
import { DecideToken } from './tokens/decide-token';
import { NotMeAlarm } from './tokens/not-me-alarm';
import { Addresses } from './security-changes/addresses';
import { EmailChanges } from './security-changes/email-changes';
import { PushDevices } from './security-changes/push-devices';
import { ReportSecurityChange } from './security-changes/report-security-change';
import { SecurityChanges } from './security-changes/security-changes';
import { StepUp } from './security-changes/step-up';
import { TotpEnrolment } from './security-changes/totp-enrolment';
import { TotpAttempts } from './totp/totp-attempts';
import { VerifyWithdrawalTotp } from './totp/verify-withdrawal-totp';
import { CancelWithdrawal } from './withdrawals/cancel-withdrawal';
import { WithdrawalLocks } from './withdrawals/withdrawal-locks';
import { WithdrawalSettlement } from './withdrawals/withdrawal-settlement';
import { AntiPhishingCode } from './security-changes/anti-phishing-code';
import { PasskeyApproval } from './passkeys/passkey-approval';
import { PasskeyPolicy } from './passkeys/passkey-policy';
import { PasskeyRegistration } from './passkeys/passkey-registration';

@Module({})
export class ConfirmationServiceModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfirmationServiceModule,
      imports: [ConfigModule.forRoot({ ...config, app: 'confirmer' }), DatabaseModule.forApp('confirmer'), QueueModule, LivenessModule],
      providers: [
        ConfirmationsConsumer,
        CreditDeposit,
        JwtVerifier,
        ExpirySchedule,
        AdvisoryLeadership,
        HandOffs,
        Reconciler,
        ExpireWithdrawals,
        ResumeWithdrawals,
        DecideToken,
        NotMeAlarm,
        TotpEnrolment,
        EmailChanges,
        PushDevices,
        Addresses,
        ReportSecurityChange,
        SecurityChanges,
        StepUp,
        TotpAttempts,
        VerifyWithdrawalTotp,
        CancelWithdrawal,
        OperatorDecisions,
        OperatorProofs,
        WithdrawalLocks,
        WithdrawalSettlement,
        PasskeyRegistration,
        PasskeyApproval,
        PasskeyPolicy,
        AntiPhishingCode,
      ],
    };
  }
}
