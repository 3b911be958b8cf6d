import { AppConfig, ConfigModule } from '@app/config';
import { JwtVerifier } from '@app/crypto';
import { DatabaseModule } from '@app/database';
import { QueueModule } from '@app/queue';
import { DynamicModule, Module } from '@nestjs/common';
import { ConfirmationsConsumer } from './confirmations.consumer';
import { CreditDeposit } from './deposits/credit-deposit';
import { ExpireWithdrawals } from './expiry/expire-withdrawals';
import { ExpirySchedule } from './expiry/expiry-schedule';
import { ResumeWithdrawals } from './pause/resume-withdrawals';
import { DecideToken } from './tokens/decide-token';
import { NotMeAlarm } from './tokens/not-me-alarm';
import { CustomerTotp } from './totp/customer-totp';
import { TotpAttempts } from './totp/totp-attempts';
import { VerifyWithdrawalTotp } from './totp/verify-withdrawal-totp';
import { CancelWithdrawal } from './withdrawals/cancel-withdrawal';
import { OperatorDecisions } from './withdrawals/operator-decisions';
import { WithdrawalLocks } from './withdrawals/withdrawal-locks';
import { WithdrawalSettlement } from './withdrawals/withdrawal-settlement';

@Module({})
export class ConfirmationServiceModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfirmationServiceModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule.forApp('confirmer'), QueueModule],
      providers: [
        ConfirmationsConsumer,
        CreditDeposit,
        JwtVerifier,
        ExpirySchedule,
        ExpireWithdrawals,
        ResumeWithdrawals,
        DecideToken,
        NotMeAlarm,
        CustomerTotp,
        TotpAttempts,
        VerifyWithdrawalTotp,
        CancelWithdrawal,
        OperatorDecisions,
        WithdrawalLocks,
        WithdrawalSettlement,
      ],
    };
  }
}
