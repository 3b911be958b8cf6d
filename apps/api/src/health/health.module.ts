import { LivenessModule } from '@app/queue';
import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DependencyOutages } from './dependency-outages';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { Metrics } from './metrics';
import { MetricsAuthGuard, MetricsController } from './metrics.controller';
import { PostgresProbe } from './postgres-probe';
import { QueueErrorListeners } from './queue-error-listeners';

/**
 * /health and /metrics for operators and orchestrators, and the outage detection every request's errors
 * go through (global: the problem filter and the Redis clients report to it).
 */
@Global()
@Module({
  // Terminus' own logger would log every failing check on every probe; outages are logged once (DependencyOutages).
  imports: [TerminusModule.forRoot({ logger: false }), LivenessModule],
  controllers: [HealthController, MetricsController],
  providers: [HealthService, Metrics, MetricsAuthGuard, PostgresProbe, DependencyOutages, QueueErrorListeners],
  exports: [DependencyOutages],
})
export class HealthModule {}
