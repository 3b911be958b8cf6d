import { APP_CONFIG, AppConfig } from '@app/config';
import { PeerOutcomes } from '@app/queue';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { Transporter } from 'nodemailer';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * The SMTP adapter: nodemailer over SMTP_URL. A failed send throws, so the job's retries apply; each send
 * is counted for /health (the relay's recent failure rate).
 */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly transport: Transporter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly peers: PeerOutcomes,
  ) {
    // Bounded, so that a relay that hangs holds an email slot for SMTP_TIMEOUT at most (nodemailer waits up to 10 min).
    const timeout = config.delivery.smtpTimeoutMs;
    this.transport = nodemailer.createTransport({
      url: config.smtpUrl,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.transport.sendMail({ from: this.config.mailFrom, ...mail });
    } catch (error) {
      this.peers.record('smtp', 'failed');
      throw error;
    }
    this.peers.record('smtp', 'sent');
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
