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
    exitGracefully(context, logger);
    logger.info('started');
    return context;
  } catch (error) {
    logger.error(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

/**
 * On SIGTERM or SIGINT: the app closes (its workers finish the jobs in progress first, see WorkerDrain),
 * then the process exits 0. A second signal while closing exits at once, with 1.
 */
export function exitGracefully(app: INestApplicationContext, logger: { info(message: string): void; error(message: string): void }): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    logger.info(`${signal}: shutting down`);
    app.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
