import { APP_CONFIG, AppConfig } from '@app/config';
import { hashToken, newToken } from '@app/crypto';
import { AntiPhishingCodeRepository, EmailVerificationRepository } from '@app/database';
import { Inject, Injectable } from '@nestjs/common';
import { verificationMail } from '../mail/mail-templates';
import { Mailer } from '../mail/mailer';

/** The link that proves the customer reads the address: its token made here, only its hash kept. */
@Injectable()
export class SendEmailVerification {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly verifications: EmailVerificationRepository,
    private readonly mailer: Mailer,
    private readonly antiPhishingCodes: AntiPhishingCodeRepository,
  ) {}

  async execute(verificationId: string): Promise<'sent' | 'already_sent' | 'expired'> {
    const v = await this.verifications.findToSend(verificationId);
    if (!v || v.sentAt || v.consumedAt) return 'already_sent';
    if (v.expiresAt.getTime() <= Date.now()) return 'expired';
    const token = newToken();
    await this.verifications.setTokenHash(v.id, hashToken(token));
    const code = await this.antiPhishingCodes.find(v.userId);
    await this.mailer.send(verificationMail(v.email, `${this.config.publicBaseUrl}/verify-email/${token}`, code));
    await this.verifications.markSent(v.id);
    return 'sent';
  }
}
