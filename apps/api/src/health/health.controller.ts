import { AppConfig, APP_CONFIG } from '@app/config';
import { redisConnection } from '@app/queue';
import { Controller, Get, Header, Inject, OnApplicationShutdown, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { FastifyReply } from 'fastify';
import IORedis from 'ioredis';
import { DataSource } from 'typeorm';
import { Metrics } from './metrics';

@ApiTags('operators')
@Controller()
export class HealthController implements OnApplicationShutdown {
  // A probe of its own that fails fast: the queues' connections retry forever and would hang it.
  private readonly redis: IORedis;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: Metrics,
  ) {
    this.redis = new IORedis({ ...redisConnection(config.redisUrl), maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  }

  /** Readiness: 200 when Postgres and Redis both answer, 503 otherwise. */
  @Get('health')
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    const check = async (probe: () => Promise<unknown>) => {
      try {
        await probe();
        return 'up';
      } catch {
        return 'down';
      }
    };
    const [postgres, redis] = await Promise.all([
      check(() => this.dataSource.query('SELECT 1')),
      check(async () => {
        if (this.redis.status === 'wait') await this.redis.connect();
        return this.redis.ping();
      }),
    ]);
    const ok = postgres === 'up' && redis === 'up';
    void reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', postgres, redis };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
