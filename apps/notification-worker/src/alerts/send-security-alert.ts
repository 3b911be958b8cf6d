import { AntiPhishingCodeRepository, CustomerRepository } from '@app/database';
import { SecurityAlert } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { WithdrawalReader } from '../challenges/withdrawal-reader';
import { alertMail } from '../mail/mail-templates';
import { Mailer } from '../mail/mailer';
import { SendOnce } from '../outcomes/send-once';

/** Security alerts by email (a replayed TOTP code, "this wasn't me"), once per alert key. */
@Injectable()
export class SendSecurityAlert {
  constructor(
    private readonly once: SendOnce,
    private readonly customers: CustomerRepository,
    private readonly withdrawals: WithdrawalReader,
    private readonly mailer: Mailer,
    private readonly antiPhishingCodes: AntiPhishingCodeRepository,
  ) {}

  execute(data: { userId: string; alert: SecurityAlert; withdrawalId?: string; dedupeKey: string }): Promise<string> {
    return this.once.run(data.dedupeKey, async (m) => {
      const customer = await this.customers.find(data.userId, m);
      if (!customer?.email) throw new UnrecoverableError('the customer has no email address');
      const w = data.withdrawalId ? await this.withdrawals.read(m, data.withdrawalId) : undefined;
      await this.mailer.send(alertMail(customer.email, data.alert, w, await this.antiPhishingCodes.find(data.userId, m)));
    });
  }
}
