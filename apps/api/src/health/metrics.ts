import { AuditRepository, OutboxRepository, WithdrawalPauseRepository, WithdrawalRepository } from '@app/database';
import { QueueName } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Queue } from 'bullmq';
import { collectDefaultMetrics, Gauge, Metric, Registry } from 'prom-client';

/** Seconds: a confirmation takes a customer seconds to minutes; a posting, milliseconds unless something is wrong. */
const CONFIRMATION_BOUNDS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const POSTING_BOUNDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];

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
    modules: ModuleRef,
  ) {
    // Every queue of the enum, however many there are.
    const queues = Object.values(QueueName).map((name) => modules.get<Queue>(getQueueToken(name), { strict: false }));
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
    new Gauge({
      name: 'countersign_queue_depth',
      help: 'Jobs ready to run that no worker has taken yet (waiting and prioritized), by queue',
      labelNames: ['queue'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const q of queues) {
          const counts = await q.getJobCounts('waiting', 'prioritized');
          this.set({ queue: q.name }, counts.waiting + counts.prioritized);
        }
      },
    });
    new Gauge({
      name: 'countersign_queue_failed_jobs',
      help: 'Jobs that failed for good (all attempts spent, or refused) and are still kept, by queue',
      labelNames: ['queue'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const q of queues) this.set({ queue: q.name }, await q.getFailedCount());
      },
    });
    new Gauge({
      name: 'countersign_notification_send_failures_total',
      help: 'Failed attempts to send a notification, by channel (email, push), from the audit log',
      labelNames: ['channel'],
      registers: [this.registry],
      async collect() {
        const rows = await audit.countNotificationFailures();
        this.reset();
        for (const channel of ['email', 'push']) this.set({ channel }, rows.find((r) => r.channel === channel)?.count ?? 0);
      },
    });
    const timings = new PostgresHistograms(withdrawals);
    this.registry.registerMetric(
      timings.metric(
        'countersign_confirmation_seconds',
        "Seconds from a withdrawal's creation to the approval of each factor (email, push, totp), from Postgres timestamps",
        'factor',
        CONFIRMATION_BOUNDS,
        (key) => key !== 'posting',
      ),
    );
    this.registry.registerMetric(
      timings.metric(
        'countersign_posting_seconds',
        "Seconds from the last of a withdrawal's three approvals to its posting, from Postgres timestamps",
        undefined,
        POSTING_BOUNDS,
        (key) => key === 'posting',
      ),
    );
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

/**
 * Histograms computed by Postgres at scrape time from the withdrawals' own timestamps, so every API
 * replica reports the same figures whichever app confirmed or posted. Cumulative like any histogram:
 * rows are never deleted, so the counts only grow.
 */
class PostgresHistograms {
  constructor(private readonly withdrawals: WithdrawalRepository) {}

  metric(name: string, help: string, label: string | undefined, bounds: number[], keep: (key: string) => boolean): Metric {
    const withdrawals = this.withdrawals;
    // prom-client formats any registered object with get(): its values are written as they are.
    const get = async () => {
      const rows = (await withdrawals.confirmationTimings(bounds)).filter((r) => keep(r.key));
      const values = rows.flatMap((r) => {
        const labels = label ? { [label]: r.key } : {};
        return [
          ...bounds.map((le, i) => ({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: r.buckets[i] })),
          { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: r.count },
          { metricName: `${name}_sum`, labels, value: r.sum },
          { metricName: `${name}_count`, labels, value: r.count },
        ];
      });
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    };
    return { name, help, type: 'histogram', aggregator: 'sum', get } as unknown as Metric;
  }
}
