import { AppConfig, AppRole, loadConfig } from '@app/config';
import { bootLogger, LoggingModule } from '@app/logging';
import { DynamicModule, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { assertRedisNoEviction } from './redis-policy';

/** The app's module with JSON logging beside it. */
@Module({})
class WorkerRoot {}

/** Boots a queue-consuming app: config validated once, Redis policy checked, graceful shutdown on signals. */
export async function bootstrapWorker(
  name: string,
  app: AppRole,
  rootModule: (config: AppConfig) => DynamicModule,
): Promise<INestApplicationContext> {
  const logger = bootLogger(name);
  try {
    const config = loadConfig(process.env, app);
    config.warnings.forEach((w) => logger.warn(w));
    await assertRedisNoEviction(config.redisUrls[app]);
    const context = await NestFactory.createApplicationContext(
      { module: WorkerRoot, imports: [LoggingModule.forRoot(name, config.logLevel), rootModule(config)] },
      { bufferLogs: true },
    );
    context.useLogger(context.get(Logger));
    context.enableShutdownHooks();
    logger.info('started');
    return context;
  } catch (error) {
    logger.error(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
