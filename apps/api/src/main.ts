import { loadConfig } from '@app/config';
import { assertRedisNoEviction } from '@app/queue';
import { Logger } from '@nestjs/common';
import { createApiApp } from './api-app';

async function bootstrap(): Promise<void> {
  const logger = new Logger('api');
  try {
    const config = loadConfig(process.env, 'api');
    config.warnings.forEach((w) => logger.warn(w));
    await assertRedisNoEviction(config.redisUrls.api);
    const app = await createApiApp(config);
    await app.listen(config.port, config.host);
    logger.log(`listening on ${config.host}:${config.port}; public origin ${config.publicBaseUrl}`);
  } catch (error) {
    logger.error(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

void bootstrap();
