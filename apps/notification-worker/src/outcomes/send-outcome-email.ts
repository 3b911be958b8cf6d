import { Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { WithdrawalReader } from '../challenges/withdrawal-reader';
import { outcomeMail } from '../mail/mail-templates';
import { Mailer } from '../mail/mailer';
import { SendOnce } from './send-once';

/** Tells the customer how a withdrawal ended: posted, denied, expired or rejected, with amount and destination. */
@Injectable()
export class SendOutcomeEmail {
  constructor(
    private readonly once: SendOnce,
    private readonly withdrawals: WithdrawalReader,
    private readonly mailer: Mailer,
  ) {}

  execute(withdrawalId: string): Promise<'sent' | 'already_sent'> {
    return this.once.run(`outcome-${withdrawalId}`, async (m) => {
      const w = await this.withdrawals.read(m, withdrawalId);
      if (!w) throw new UnrecoverableError('withdrawal not found');
      if (w.status === 'pending_confirmation' || w.status === 'held' || w.status === 'cancelled') {
        throw new UnrecoverableError(`withdrawal is ${w.status}, not an outcome to mail`);
      }
      if (!w.email) throw new UnrecoverableError('the customer has no email address');
      await this.mailer.send(outcomeMail(w.email, { ...w, status: w.status }, w.antiPhishingCode));
    });
  }
}
