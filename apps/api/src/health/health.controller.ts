import { QueueName } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Metrics } from './metrics';

@ApiTags('operators')
@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QueueName.Confirmations) private readonly confirmations: Queue,
    private readonly metrics: Metrics,
  ) {}

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
      check(async () => (await this.confirmations.client).get(`${this.confirmations.opts.prefix}:health-probe`)),
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
}
