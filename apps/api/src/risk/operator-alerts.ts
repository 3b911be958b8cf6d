import { AppConfig, APP_CONFIG } from '@app/config';
import { WithdrawalRiskRepository } from '@app/database';
import { jobId, OperatorAlert, OperatorAlertFacts, Outbox, QueueName } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { RiskClock } from './risk-clock';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url').slice(0, 32);

/**
 * Emails to OPERATOR_ALERT_EMAIL, when it is set: queued through the outbox in the transaction of the hold
 * or pause they are about, so that an alert goes out if and only if that change committed. An anomaly is
 * mailed once per key per window (its first hold), not once per withdrawal it holds.
 */
@Injectable()
export class OperatorAlerts {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly risk: WithdrawalRiskRepository,
    private readonly outbox: Outbox,
    private readonly clock: RiskClock,
  ) {}

  /** A withdrawal held: mailed unless this key was mailed within `windowMs`. `key` names what was counted (an IP, a device, a destination, a customer's asset). */
  async held(m: EntityManager, alert: OperatorAlert, key: string, windowMs: number, withdrawalId: string, facts: OperatorAlertFacts): Promise<void> {
    if (!this.config.risk.operatorAlertEmail) return;
    const alertKey = `${alert}:${digest(key)}`;
    if (!(await this.risk.claimAlert(m, alertKey, windowMs))) return;
    await this.queue(m, alert, alertKey, facts, withdrawalId);
  }

  /** The automatic pause tripped (once per pause: only the request that paused gets here). */
  async paused(m: EntityManager, facts: OperatorAlertFacts): Promise<void> {
    if (!this.config.risk.operatorAlertEmail) return;
    await this.queue(m, 'automatic_pause', 'automatic_pause', facts);
  }

  private async queue(m: EntityManager, alert: OperatorAlert, alertKey: string, facts: OperatorAlertFacts, withdrawalId?: string): Promise<void> {
    const at = this.clock.now();
    await this.outbox.add(m, [
      {
        queue: QueueName.Notifications,
        name: 'send-operator-alert',
        jobId: jobId('operator-alert', alertKey, at),
        data: { alert, ...(withdrawalId ? { withdrawalId } : {}), facts, dedupeKey: `operator-alert:${alertKey}:${at}` },
      },
    ]);
  }
}
