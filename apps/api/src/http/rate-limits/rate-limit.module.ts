import { AppConfig, APP_CONFIG } from '@app/config';
import { redisConnection, StoppableRedis } from '@app/queue';
import { Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { DependencyOutages } from '../../health/dependency-outages';
import { RateLimitGuard } from './rate-limit.guard';
import { RedisThrottlerStorage } from './redis-throttler-storage';

/** The rate limits' own Redis connection, closed on shutdown; its errors go to the outage log. */
@Injectable()
export class RateLimitRedis extends StoppableRedis implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: AppConfig, outages: DependencyOutages) {
    super(redisConnection(config.redisUrls.api));
    this.on('error', () => outages.report('redis'));
  }

  onApplicationShutdown(): void {
    this.disconnect();
  }
}

@Module({ providers: [RateLimitRedis], exports: [RateLimitRedis] })
class RateLimitRedisModule {}

/**
 * Rate limits per client address (public paths) and per customer (authenticated writes), counted in
 * Redis so that they hold across every API instance. Routes name theirs with @RateLimit.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RateLimitRedisModule],
      inject: [APP_CONFIG, RateLimitRedis],
      useFactory: (config: AppConfig, redis: RateLimitRedis) => ({
        throttlers: [
          { name: 'public', ttl: 60_000, limit: config.publicRateLimitPerMinute },
          { name: 'customer-writes', ttl: 60_000, limit: config.customerWritesPerMinute },
          { name: 'email-changes', ttl: 3_600_000, limit: config.emailChangesPerHour },
        ],
        storage: new RedisThrottlerStorage(redis, `${config.queuePrefix}:rate-limit:`),
      }),
    }),
  ],
  providers: [RateLimitGuard],
  exports: [ThrottlerModule, RateLimitGuard],
})
export class RateLimitModule {}
