import { APP_CONFIG, AppConfig } from '@app/config';
import { CanActivate, Controller, ExecutionContext, Get, Header, Inject, Injectable, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { basicAuthMatches } from '../http/basic-auth';
import { Problem } from '../http/problem';
import { Metrics } from './metrics';

/** /metrics is the operators' (its figures tell who is under attack): HTTP Basic auth, off unless configured. */
@Injectable()
export class MetricsAuthGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.config.metrics) throw new Problem('not_found', 'metrics are off: set METRICS_USER and METRICS_PASSWORD');
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (basicAuthMatches(request.headers.authorization, this.config.metrics.user, this.config.metrics.password)) return true;
    context.switchToHttp().getResponse<FastifyReply>().header('www-authenticate', 'Basic realm="Countersign metrics"');
    throw new Problem('unauthorized', "metrics need the operators' credentials (METRICS_USER, METRICS_PASSWORD)");
  }
}

@ApiTags('operators')
@Controller()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get('metrics')
  @UseGuards(MetricsAuthGuard)
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
