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
    private readonly withdrawals: WithdrawalReader,
    private readonly mailer: Mailer,
  ) {}

  execute(data: { userId: string; alert: SecurityAlert; withdrawalId?: string; dedupeKey: string }): Promise<string> {
    return this.once.run(data.dedupeKey, async (m) => {
      const [user] = await m.query('SELECT email FROM users WHERE id = $1', [data.userId]);
      if (!user?.email) throw new UnrecoverableError('the customer has no email address');
      const w = data.withdrawalId ? await this.withdrawals.read(m, data.withdrawalId) : undefined;
      await this.mailer.send(alertMail(user.email, data.alert, w));
    });
  }
}
