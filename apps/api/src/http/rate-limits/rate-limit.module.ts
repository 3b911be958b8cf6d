import { AppConfig, APP_CONFIG } from '@app/config';
import { redisConnection } from '@app/queue';
import { Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import IORedis from 'ioredis';
import { PublicRateLimitGuard } from './public-rate-limit.guard';
import { RedisThrottlerStorage } from './redis-throttler-storage';

/** The rate limits' own Redis connection, closed on shutdown. */
@Injectable()
export class RateLimitRedis extends IORedis implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super(redisConnection(config.redisUrl));
  }

  onApplicationShutdown(): void {
    this.disconnect();
  }
}

@Module({ providers: [RateLimitRedis], exports: [RateLimitRedis] })
class RateLimitRedisModule {}

/**
 * Per-client-address limits on the unauthenticated endpoints, counted in Redis so that they hold
 * across every API instance.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RateLimitRedisModule],
      inject: [APP_CONFIG, RateLimitRedis],
      useFactory: (config: AppConfig, redis: RateLimitRedis) => ({
        throttlers: [{ name: 'public', ttl: 60_000, limit: config.publicRateLimitPerMinute }],
        storage: new RedisThrottlerStorage(redis, `${config.queuePrefix}:rate-limit:`),
      }),
    }),
  ],
  providers: [PublicRateLimitGuard],
  exports: [ThrottlerModule, PublicRateLimitGuard],
})
export class RateLimitModule {}
