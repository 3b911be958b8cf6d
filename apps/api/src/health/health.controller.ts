import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { HealthService } from './health.service';

@ApiTags('operators')
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** Readiness: 200 when Postgres and Redis both answer, 503 otherwise. */
  @Get('health')
  async check(@Res({ passthrough: true }) reply: FastifyReply) {
    const { postgres, redis } = await this.health.check();
    const ok = postgres === 'up' && redis === 'up';
    reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', postgres, redis };
  }
}
