import { AppConfig, APP_CONFIG } from '@app/config';
import { Transactions } from '@app/database';
import { redisConnection } from '@app/queue';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import IORedis from 'ioredis';

export type Probe = 'up' | 'down';

/** Readiness of what the API needs: Postgres and Redis, each probed on its own. */
@Injectable()
export class HealthService implements OnApplicationShutdown {
  // A probe of its own that fails fast: the queues' connections retry forever and would hang it.
  private readonly redis: IORedis;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly database: Transactions,
  ) {
    this.redis = new IORedis({ ...redisConnection(config.redisUrls.api), maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  }

  async check(): Promise<{ postgres: Probe; redis: Probe }> {
    const [postgres, redis] = await Promise.all([
      probe(() => this.database.ping()),
      probe(async () => {
        if (this.redis.status === 'wait') await this.redis.connect();
        return this.redis.ping();
      }),
    ]);
    return { postgres, redis };
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

async function probe(check: () => Promise<unknown>): Promise<Probe> {
  try {
    await check();
    return 'up';
  } catch {
    return 'down';
  }
}
