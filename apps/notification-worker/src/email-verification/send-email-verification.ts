import { APP_CONFIG, AppConfig } from '@app/config';
import { hashToken, newToken } from '@app/crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { verificationMail } from '../mail/mail-templates';
import { Mailer } from '../mail/mailer';

/** The link that proves the customer reads the address: its token made here, only its hash kept. */
@Injectable()
export class SendEmailVerification {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly mailer: Mailer,
  ) {}

  async execute(verificationId: string): Promise<'sent' | 'already_sent' | 'expired'> {
    const [v] = await this.dataSource.query(
      'SELECT id, email, sent_at, consumed_at, expires_at FROM email_verifications WHERE id = $1',
      [verificationId],
    );
    if (!v || v.sent_at || v.consumed_at) return 'already_sent';
    if (v.expires_at.getTime() <= Date.now()) return 'expired';
    const token = newToken();
    // Hash first, so a customer who clicks at once finds it; a redelivery before sent_at replaces it.
    await this.dataSource.query('UPDATE email_verifications SET token_hash = $2 WHERE id = $1 AND sent_at IS NULL', [
      v.id,
      hashToken(token),
    ]);
    await this.mailer.send(verificationMail(v.email, `${this.config.publicBaseUrl}/verify-email/${token}`));
    await this.dataSource.query('UPDATE email_verifications SET sent_at = now() WHERE id = $1', [v.id]);
    return 'sent';
  }
}
