import { QueueName } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

/**
 * Prometheus metrics. Business figures are read from Postgres at scrape time, so every replica of the
 * API reports the same truth whichever app made the change.
 */
@Injectable()
export class Metrics {
  private readonly registry = new Registry();

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @InjectQueue(QueueName.Notifications) notifications: Queue,
    @InjectQueue(QueueName.Confirmations) confirmations: Queue,
    @InjectQueue(QueueName.WithdrawalsPosted) posted: Queue,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'countersign_api_' });
    new Gauge({
      name: 'countersign_withdrawals',
      help: 'Withdrawals by status',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const rows = await dataSource.query('SELECT status, count(*)::int AS n FROM withdrawals GROUP BY status');
        this.reset();
        for (const r of rows) this.set({ status: r.status }, r.n);
      },
    });
    new Gauge({
      name: 'countersign_security_events',
      help: 'Security events from the audit log: reported-not-me withdrawals, replayed TOTP codes, frozen accounts',
      labelNames: ['event'],
      registers: [this.registry],
      async collect() {
        const rows = await dataSource.query(
          `SELECT event, count(*)::int AS n FROM audit_events
            WHERE event IN ('withdrawal_reported_not_me', 'totp_code_reused', 'push_rate_limited', 'account_frozen')
            GROUP BY event`,
        );
        this.reset();
        for (const r of rows) this.set({ event: r.event }, r.n);
      },
    });
    const queues = [notifications, confirmations, posted];
    new Gauge({
      name: 'countersign_queue_jobs',
      help: 'BullMQ jobs by queue and state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const q of queues) {
          const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
          for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
        }
      },
    });
  }

  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
