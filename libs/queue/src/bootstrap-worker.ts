import { AppConfig, AppRole, loadConfig } from '@app/config';
import { DynamicModule, INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { assertRedisNoEviction } from './redis-policy';

/** Boots a queue-consuming app: config validated once, Redis policy checked, graceful shutdown on signals. */
export async function bootstrapWorker(
  name: string,
  app: AppRole,
  rootModule: (config: AppConfig) => DynamicModule,
): Promise<INestApplicationContext> {
  const logger = new Logger(name);
  try {
    const config = loadConfig(process.env, app);
    config.warnings.forEach((w) => logger.warn(w));
    await assertRedisNoEviction(config.redisUrls[app]);
    const context = await NestFactory.createApplicationContext(rootModule(config), { bufferLogs: false });
    context.enableShutdownHooks();
    logger.log('started');
    return context;
  } catch (error) {
    logger.error(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
