import { AppConfig, APP_CONFIG, AppRole } from '@app/config';
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from './data-source-options';

/** Connects an app to Postgres as its own least-privilege role. */
@Module({})
export class DatabaseModule {
  static forApp(role: AppRole): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => dataSourceOptions(config.databaseUrls[role]),
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
