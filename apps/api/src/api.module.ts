import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { LoggingModule } from '@app/logging';
import { QueueModule } from '@app/queue';
import { DynamicModule, Module } from '@nestjs/common';
import { ConfirmationsModule } from './confirmations/confirmations.module';
import { HealthModule } from './health/health.module';
import { HttpModule } from './http/http.module';
import { OperatorsModule } from './operators/operators.module';
import { SecuritySetupModule } from './security-setup/security-setup.module';
import { WithdrawalsModule } from './withdrawals/withdrawals.module';
import { ExamplesModule } from './examples/examples.module';

/** The HTTP edge: one module per feature, each controller → service → repository. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot({ ...config, app: 'api' }),
        LoggingModule.forRoot('api', config.logLevel),
        DatabaseModule.forApp('api'),
        QueueModule,
        HttpModule,
        SecuritySetupModule,
        WithdrawalsModule,
        ConfirmationsModule,
        OperatorsModule,
        HealthModule,
        ExamplesModule,
      ],
    };
  }
}
