import { AppConfig, APP_CONFIG } from '@app/config';
import { redisConnection } from '@app/queue';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { PublicRateLimitGuard } from './public-rate-limit.guard';

/** A provider of its own, so Nest closes its Redis connection on shutdown. */
@Module({
  providers: [
    {
      provide: ThrottlerStorageRedisService,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new ThrottlerStorageRedisService({ ...redisConnection(config.redisUrl), keyPrefix: `${config.queuePrefix}:rate-limit:` }),
    },
  ],
  exports: [ThrottlerStorageRedisService],
})
class RateLimitStorageModule {}

/**
 * Per-client-address limits on the unauthenticated endpoints, counted in Redis so that they hold
 * across every API instance.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [APP_CONFIG, ThrottlerStorageRedisService],
      useFactory: (config: AppConfig, storage: ThrottlerStorageRedisService) => ({
        throttlers: [{ name: 'public', ttl: 60_000, limit: config.publicRateLimitPerMinute }],
        storage,
      }),
    }),
  ],
  providers: [PublicRateLimitGuard],
  exports: [ThrottlerModule, PublicRateLimitGuard],
})
export class RateLimitModule {}
