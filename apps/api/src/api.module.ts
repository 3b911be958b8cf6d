import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { LedgerModule } from '@app/ledger';
import { QueueModule } from '@app/queue';
import { DynamicModule, Module } from '@nestjs/common';
import { AddressesController } from './addresses/addresses.controller';
import { AdminController } from './admin/admin.controller';
import { BearerGuard } from './auth/bearer.guard';
import { JwtVerifier } from '@app/crypto';
import { BalancesController } from './balances/balances.controller';
import { ConfirmationPageController } from './confirmations/confirmation-page.controller';
import { ConfirmationsController } from './confirmations/confirmations.controller';
import { CustomerRepository } from './customers/customer.repository';
import { EmailVerificationController } from './email-verification/email-verification.controller';
import { HealthController } from './health/health.controller';
import { Metrics } from './health/metrics';
import { PushController } from './push/push.controller';
import { RateLimitModule } from './rate-limits/rate-limit.module';
import { SecurityController } from './security/security.controller';
import { SecurityService } from './security/security.service';
import { VerdictClient } from './verdicts/verdict-client';
import { CreateWithdrawal } from './withdrawals/create-withdrawal';
import { WithdrawalStatusReader } from './withdrawals/withdrawal-status';
import { WithdrawalsController } from './withdrawals/withdrawals.controller';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule.forApp('api'), QueueModule, LedgerModule, RateLimitModule],
      controllers: [
        SecurityController,
        EmailVerificationController,
        PushController,
        AddressesController,
        BalancesController,
        WithdrawalsController,
        ConfirmationPageController,
        ConfirmationsController,
        AdminController,
        HealthController,
      ],
      providers: [
        JwtVerifier,
        BearerGuard,
        CustomerRepository,
        SecurityService,
        VerdictClient,
        CreateWithdrawal,
        WithdrawalStatusReader,
        Metrics,
      ],
    };
  }
}
