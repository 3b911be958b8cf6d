import { SentNotificationRepository } from '@app/database';
import { Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { WithdrawalReader } from '../challenges/withdrawal-reader';
import { DELIVERY_LEASE_SECONDS, DeliveryInProgress } from '../deliveries/leased-delivery';
import { SentMarks } from '../deliveries/sent-marks';
import { outcomeMail } from '../mail/mail-templates';
import { Mailer } from '../mail/mailer';

/**
 * Tells the customer how a withdrawal ended: posted, denied, expired or rejected, with amount and destination.
 * Sent once per withdrawal however often its job is delivered, and with no database transaction open while
 * the SMTP peer answers: the key is leased (committed), the message sent, then marked sent (SentMarks). A failed send
 * releases the lease and the job retries; a crash between the send and the mark lets the lease run out, and
 * the retry sends again — as a rollback of the claim did before.
 */
@Injectable()
export class SendOutcomeEmail {
  constructor(
    private readonly sent: SentNotificationRepository,
    private readonly withdrawals: WithdrawalReader,
    private readonly mailer: Mailer,
    private readonly marks: SentMarks,
  ) {}

  async execute(withdrawalId: string): Promise<'sent' | 'already_sent'> {
    const key = `outcome-${withdrawalId}`;
    // The lease and the withdrawal as the message shows it, in one statement.
    const lease = await this.sent.leaseWithdrawalMessage(key, DELIVERY_LEASE_SECONDS, withdrawalId);
    if (lease.state === 'already_sent') return 'already_sent';
    if (lease.state === 'in_progress') throw new DeliveryInProgress(`outcome email of ${withdrawalId} is being sent elsewhere`);
    try {
      if (!lease.withdrawal) throw new UnrecoverableError('withdrawal not found');
      const w = this.withdrawals.facts(lease.withdrawal);
      if (w.status === 'pending_confirmation' || w.status === 'held' || w.status === 'cancelled') {
        throw new UnrecoverableError(`withdrawal is ${w.status}, not an outcome to mail`);
      }
      if (!w.email) throw new UnrecoverableError('the customer has no email address');
      await this.mailer.send(outcomeMail(w.email, { ...w, status: w.status }, w.antiPhishingCode));
    } catch (error) {
      await this.sent.releaseLease(key);
      throw error;
    }
    await this.marks.record([this.sent.sentChange(key)]);
    return 'sent';
  }
}
