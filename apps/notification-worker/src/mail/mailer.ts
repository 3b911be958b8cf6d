import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { Transporter } from 'nodemailer';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * The SMTP adapter: nodemailer over SMTP_URL, pooled: up to SMTP_MAX_CONNECTIONS connections are opened
 * once and reused, so a message does not wait for a new connection's greeting (servers hold it back,
 * often 100 ms or more) and TLS handshake. A failed send throws, so the job's retries apply.
 */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly transport: Transporter;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.transport = nodemailer.createTransport({
      url: config.smtpUrl,
      pool: true,
      maxConnections: config.smtpMaxConnections,
      // A long-lived connection keeps going; the server may still close it, and the pool reconnects.
      maxMessages: Infinity,
    });
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transport.sendMail({ from: this.config.mailFrom, ...mail });
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
