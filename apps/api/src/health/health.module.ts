import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { Metrics } from './metrics';
import { MetricsAuthGuard, MetricsController } from './metrics.controller';

/** /health and /metrics for operators and orchestrators. */
@Module({ controllers: [HealthController, MetricsController], providers: [HealthService, Metrics, MetricsAuthGuard] })
export class HealthModule {}
