import { Module } from '@nestjs/common';
import { AutomaticPause } from './automatic-pause';
import { OperatorAlerts } from './operator-alerts';
import { RiskClock } from './risk-clock';
import { RiskControls } from './risk-controls';
import { RiskCounters } from './risk-counters';
import { RiskReview } from './risk-review';

/** Anomaly holds, velocity limits, the automatic pause and the operators' alerts; the review queue's enrichment. */
@Module({
  providers: [RiskClock, RiskCounters, RiskControls, AutomaticPause, OperatorAlerts, RiskReview],
  exports: [RiskClock, RiskControls, RiskReview],
})
export class RiskModule {}
