import { AppConfig, APP_CONFIG } from '@app/config';
import { WithdrawalRiskRepository } from '@app/database';
import { OperatorAlert, OperatorAlertFacts } from '@app/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { WithdrawalReader } from '../challenges/withdrawal-reader';
import { operatorAlertMail } from '../mail/mail-templates';
import { Mailer } from '../mail/mailer';
import { SendOnce } from '../outcomes/send-once';

const KEY_OF: Partial<Record<OperatorAlert, 'ipKey' | 'deviceKey' | 'destinationKey'>> = {
  anomaly_ip: 'ipKey',
  anomaly_device: 'deviceKey',
  anomaly_destination: 'destinationKey',
};

/**
 * Risk alerts to the operators, once per alert however often the job is delivered. The recipient is this
 * worker's own OPERATOR_ALERT_EMAIL, never an address from the job: whoever can write Redis cannot have
 * alerts sent elsewhere. Facts shown are read from Postgres.
 */
@Injectable()
export class SendOperatorAlert {
  private readonly logger = new Logger(SendOperatorAlert.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly once: SendOnce,
    private readonly withdrawals: WithdrawalReader,
    private readonly risk: WithdrawalRiskRepository,
    private readonly mailer: Mailer,
  ) {}

  async execute(data: { alert: OperatorAlert; withdrawalId?: string; facts: OperatorAlertFacts; dedupeKey: string }): Promise<string> {
    const to = this.config.risk.operatorAlertEmail;
    if (!to) {
      this.logger.warn(`operator alert ${data.alert} not mailed: OPERATOR_ALERT_EMAIL is not set for the notification worker`);
      return 'no_recipient';
    }
    return this.once.run(data.dedupeKey, async (m) => {
      const withdrawal = data.withdrawalId ? await this.withdrawals.read(m, data.withdrawalId) : undefined;
      const keys = data.withdrawalId ? await this.risk.keysOf(data.withdrawalId, m) : undefined;
      const keyColumn = KEY_OF[data.alert];
      await this.mailer.send(
        operatorAlertMail(to, {
          alert: data.alert,
          facts: data.facts,
          withdrawal,
          key: keyColumn && keys ? (keys[keyColumn] ?? undefined) : undefined,
          reviewUrl: `${this.config.publicBaseUrl}/v1/admin/withdrawals?status=held`,
        }),
      );
    });
  }
}
