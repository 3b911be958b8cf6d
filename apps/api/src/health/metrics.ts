import { AuditRepository, OutboxRepository, WithdrawalPauseRepository, WithdrawalRepository } from '@app/database';
import { QueueName } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

const SECURITY_EVENTS = ['withdrawal_reported_not_me', 'totp_code_reused', 'push_rate_limited', 'account_frozen'] as const;

/**
 * Prometheus metrics. Business figures are read from Postgres at scrape time, so every replica of the
 * API reports the same truth whichever app made the change.
 */
@Injectable()
export class Metrics {
  private readonly registry = new Registry();

  constructor(
    withdrawals: WithdrawalRepository,
    audit: AuditRepository,
    outbox: OutboxRepository,
    pauses: WithdrawalPauseRepository,
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
        const rows = await withdrawals.countByStatus();
        this.reset();
        for (const r of rows) this.set({ status: r.status }, r.count);
      },
    });
    new Gauge({
      name: 'countersign_security_events',
      help: 'Security events from the audit log: reported-not-me withdrawals, replayed TOTP codes, frozen accounts',
      labelNames: ['event'],
      registers: [this.registry],
      async collect() {
        const rows = await audit.countEvents(SECURITY_EVENTS);
        this.reset();
        for (const r of rows) this.set({ event: r.event }, r.count);
      },
    });
    new Gauge({
      name: 'countersign_outbox',
      help: 'The outbox: rows set aside after failing to publish (failed), and the age in seconds of the oldest row still to publish',
      labelNames: ['measure'],
      registers: [this.registry],
      async collect() {
        const health = await outbox.health();
        this.reset();
        this.set({ measure: 'failed' }, health.failed);
        this.set({ measure: 'oldest_unpublished_seconds' }, health.oldestUnpublishedSeconds ?? 0);
      },
    });
    new Gauge({
      name: 'countersign_withdrawal_holds_total',
      help: 'Withdrawals held by the risk controls, by reason (anomaly_ip, anomaly_device, anomaly_destination, velocity), from the audit log',
      labelNames: ['reason'],
      registers: [this.registry],
      async collect() {
        const rows = await audit.countHoldsByReason();
        this.reset();
        for (const r of rows) this.set({ reason: r.reason }, r.count);
      },
    });
    new Gauge({
      name: 'countersign_automatic_pauses_total',
      help: 'Times the automatic pause stopped all withdrawals, from the audit log',
      registers: [this.registry],
      async collect() {
        const [row] = await audit.countEvents(['withdrawals_paused_automatically']);
        this.set(row?.count ?? 0);
      },
    });
    new Gauge({
      name: 'countersign_withdrawals_paused',
      help: 'Whether all withdrawals are paused now (1), by an operator or automatically',
      labelNames: ['by'],
      registers: [this.registry],
      async collect() {
        const pause = await pauses.current();
        this.reset();
        this.set({ by: pause?.pausedBy === 'automatic' ? 'automatic' : 'operator' }, pause ? 1 : 0);
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
