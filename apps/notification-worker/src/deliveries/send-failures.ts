import { AuditRepository, Transactions } from '@app/database';
import { Injectable } from '@nestjs/common';

export type NotificationChannel = 'email' | 'push';

/**
 * Failed sends, for operators: each failed attempt to hand a message to the SMTP server or a push service
 * is audited with its channel alone (never its recipient or the error's text), and /metrics counts them.
 */
@Injectable()
export class SendFailures {
  constructor(
    private readonly transactions: Transactions,
    private readonly audit: AuditRepository,
  ) {}

  /** Runs `send`; when it throws, the failure is recorded and the error thrown on (the job's retries apply). */
  async watch<T>(channel: NotificationChannel, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      await this.transactions.run((m) => this.audit.append(m, { event: 'notification_send_failed', detail: { channel } }));
      throw error;
    }
  }
}
