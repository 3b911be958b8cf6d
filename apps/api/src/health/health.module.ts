import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { Metrics } from './metrics';

/** /health and /metrics for operators and orchestrators. */
@Module({ controllers: [HealthController], providers: [HealthService, Metrics] })
export class HealthModule {}
