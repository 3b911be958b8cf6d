import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { HealthReport, HealthService } from './health.service';

@ApiTags('operators')
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** Readiness, within a second: 200 ok or degraded; 503 when confirmations cannot complete. Each check by name. */
  @Get('health')
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthReport> {
    const report = await this.health.report();
    reply.status(report.status === 'unavailable' ? 503 : 200).header('cache-control', 'no-store');
    return report;
  }
}
