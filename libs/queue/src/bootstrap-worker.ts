import { AppConfig, loadConfig } from '@app/config';
import { DynamicModule, INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { assertRedisNoEviction } from './redis-policy';

/** Boots a queue-consuming app: config validated once, Redis policy checked, graceful shutdown on signals. */
export async function bootstrapWorker(name: string, rootModule: (config: AppConfig) => DynamicModule): Promise<INestApplicationContext> {
  const logger = new Logger(name);
  try {
    const config = loadConfig();
    config.warnings.forEach((w) => logger.warn(w));
    await assertRedisNoEviction(config.redisUrl);
    const app = await NestFactory.createApplicationContext(rootModule(config), { bufferLogs: false });
    app.enableShutdownHooks();
    logger.log('started');
    return app;
  } catch (error) {
    logger.error(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
