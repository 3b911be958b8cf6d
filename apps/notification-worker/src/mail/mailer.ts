import { APP_CONFIG, AppConfig } from '@app/config';
import { PeerOutcomes } from '@app/queue';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { Transporter } from 'nodemailer';
import { SendFailures } from '../deliveries/send-failures';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * The SMTP adapter: nodemailer over SMTP_URL, pooled: up to SMTP_MAX_CONNECTIONS connections are opened
 * once and reused, so a message does not wait for a new connection's greeting (servers hold it back,
 * often 100 ms or more) and TLS handshake. A failed send throws, so the job's retries apply; each send
 * is counted for /health (the relay's recent failure rate).
 */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly transport: Transporter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly failures: SendFailures,
    private readonly peers: PeerOutcomes,
  ) {
    // Bounded, so that a relay that hangs holds an email slot for SMTP_TIMEOUT at most (nodemailer waits up to 10 min).
    const timeout = config.delivery.smtpTimeoutMs;
    this.transport = nodemailer.createTransport({
      url: config.smtpUrl,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      pool: true,
      maxConnections: config.smtpMaxConnections,
      // A long-lived connection keeps going; the server may still close it, and the pool reconnects.
      maxMessages: Infinity,
      // A message whose connection closed is tried once more, on a fresh one (the server may have closed an
      // idle pooled connection); beyond that the job's own backoff paces retries. nodemailer's default of 5
      // requeues made every attempt at a relay that is down open six connections over ~1.5 s.
      maxRequeues: 1,
    });
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.failures.watch('email', () => this.transport.sendMail({ from: this.config.mailFrom, ...mail }));
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
