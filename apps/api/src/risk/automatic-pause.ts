import { AppConfig, APP_CONFIG } from '@app/config';
import { AuditRepository, Transactions, WithdrawalPauseRepository } from '@app/database';
import { RequestRate } from '@app/domain';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { OperatorAlerts } from './operator-alerts';

/**
 * Pauses every withdrawal, `by: "automatic"`, when requests spike (autoPauseTrips): the same kill switch
 * operators pull, so Postgres refuses new withdrawals and every posting while it is on, and only an operator
 * lifts it. An operator's pause already on stays theirs. The pause, its audit entry and its alert commit together.
 */
@Injectable()
export class AutomaticPause {
  private readonly logger = new Logger(AutomaticPause.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly pauses: WithdrawalPauseRepository,
    private readonly audit: AuditRepository,
    private readonly alerts: OperatorAlerts,
  ) {}

  async trip(rate: RequestRate): Promise<void> {
    const { autoPauseFactor: factor, autoPauseMinPerMinute: minPerMinute } = this.config.risk;
    const mean = rate.trailingHour / 60;
    const reason =
      `automatic: ${rate.lastMinute} customers requested withdrawals in the last minute, more than ${factor} × the trailing hour's ` +
      `${mean.toFixed(2)} a minute and at least ${minPerMinute}`;
    const paused = await this.transactions.run(async (m) => {
      if (!(await this.pauses.pauseAutomatically(m, reason))) return false;
      const facts = { lastMinute: rate.lastMinute, trailingHourPerMinute: Number(mean.toFixed(2)), factor, minPerMinute };
      await this.audit.append(m, { event: 'withdrawals_paused_automatically', detail: { reason, ...facts } });
      await this.alerts.paused(m, facts);
      return true;
    });
    if (paused) this.logger.warn(`withdrawals paused: ${reason}`);
  }
}
