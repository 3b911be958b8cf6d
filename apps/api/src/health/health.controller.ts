import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { HealthService } from './health.service';
import { Metrics } from './metrics';

@ApiTags('operators')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly metrics: Metrics,
  ) {}

  /** Readiness: 200 when Postgres and Redis both answer, 503 otherwise. */
  @Get('health')
  async check(@Res({ passthrough: true }) reply: FastifyReply) {
    const { postgres, redis } = await this.health.check();
    const ok = postgres === 'up' && redis === 'up';
    reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', postgres, redis };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
