import { APP_CONFIG, AppConfig } from '@app/config';
import { OutboxRepository } from '@app/database';
import {
  AppHeartbeat,
  BeatingApp,
  failureReason,
  HEARTBEAT_STALE_MS,
  LivenessRedis,
  Peer,
  PEER_WINDOW_MINUTES,
  PeerRecord,
  readHeartbeats,
  readPeerOutcomes,
  settleWithin,
} from '@app/queue';
import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';

/** A check's session (terminus exports the service, not the type of what its check() returns). */
type HealthIndicatorSession<K extends string> = ReturnType<HealthIndicatorService['check']> & {
  up(data: object): HealthIndicatorResult<K>;
  down(data: object): HealthIndicatorResult<K>;
  degraded(data: object): HealthIndicatorResult<K>;
};
import { DependencyOutages } from './dependency-outages';

export type CheckName = 'postgres' | 'redis' | 'outbox' | 'notifier' | 'confirmer' | 'smtp' | 'push';
export type CheckStatus = 'up' | 'down' | 'degraded';

/** /health's answer (shared/API.md): the overall status, Postgres and Redis at a glance, and every check with its detail. */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'unavailable';
  postgres: 'up' | 'down';
  redis: 'up' | 'down';
  checks: Record<CheckName, { status: CheckStatus; detail: string; [measure: string]: unknown }>;
}

/** Each check's own deadline: they run side by side, so /health answers within a second whatever hangs. */
export const CHECK_TIMEOUT_MS = 800;
/** The outbox's oldest unpublished row: older than this and the relays are behind; older still, stuck. */
const OUTBOX_BEHIND_SECONDS = 5;
const OUTBOX_STUCK_SECONDS = 30;

const APP_NAMES: Record<BeatingApp, string> = { notifier: 'the notification worker', confirmer: 'the confirmation service' };

/**
 * Readiness through @nestjs/terminus: Postgres, Redis (and its noeviction policy), the outbox, each
 * consumer's heartbeat, the notification peers' recent failure rate. Down (503) when confirmations cannot
 * complete: Postgres or Redis unreachable, a consumer with no fresh heartbeat, the outbox stuck. Degraded
 * (200) when they complete late: peers failing, the outbox behind or with rows set aside.
 */
@Injectable()
export class HealthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly terminus: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly outages: DependencyOutages,
    private readonly outbox: OutboxRepository,
    private readonly redis: LivenessRedis,
  ) {}

  async report(): Promise<HealthReport> {
    // One Redis round trip each for all heartbeats and all peers, shared by their checks.
    const heartbeats = readHeartbeats(this.redis, this.config.queuePrefix);
    const peers = readPeerOutcomes(this.redis, this.config.queuePrefix);
    heartbeats.catch(() => undefined); // awaited by the checks, which report the failure
    peers.catch(() => undefined);
    let result: HealthCheckResult;
    try {
      result = await this.terminus.check([
        () => this.within('postgres', (s) => this.postgres(s)),
        () => this.within('redis', (s) => this.redisCheck(s)),
        () => this.within('outbox', (s) => this.outboxCheck(s)),
        () => this.within('notifier', (s) => this.heartbeat(s, 'notifier', heartbeats)),
        () => this.within('confirmer', (s) => this.heartbeat(s, 'confirmer', heartbeats)),
        () => this.within('smtp', (s) => this.peer(s, 'smtp', peers)),
        () => this.within('push', (s) => this.peer(s, 'push', peers)),
      ]);
    } catch (error) {
      // Terminus throws its result with the 503 when a check is down; the answer's shape is ours.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      result = error.getResponse() as HealthCheckResult;
    }
    // Each check's status first, then its detail and figures: the order an operator reads them in.
    const checks = Object.fromEntries(
      Object.entries(result.details).map(([name, { status, ...rest }]) => [name, { status, ...rest }]),
    ) as HealthReport['checks'];
    return {
      status: result.status === 'ok' ? 'ok' : result.status === 'degraded' ? 'degraded' : 'unavailable',
      postgres: checks.postgres.status === 'up' ? 'up' : 'down',
      redis: checks.redis.status === 'up' ? 'up' : 'down',
      checks,
    };
  }

  /** Runs one check against its deadline; a check that throws or is late is down, with the reason. */
  private async within<K extends CheckName>(
    key: K,
    check: (session: HealthIndicatorSession<K>) => Promise<HealthIndicatorResult<K>>,
  ): Promise<HealthIndicatorResult<K>> {
    const session = this.indicators.check(key);
    return settleWithin(
      check(session).catch((error: unknown) => session.down({ detail: `failed (${failureReason(error)})` })),
      CHECK_TIMEOUT_MS,
      () => session.down({ detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }),
    );
  }

  private async postgres(s: HealthIndicatorSession<'postgres'>) {
    const probe = await this.outages.probe('postgres');
    return probe.up ? s.up({ detail: `answered in ${probe.ms} ms` }) : s.down({ detail: `unreachable (${probe.reason})` });
  }

  private async redisCheck(s: HealthIndicatorSession<'redis'>) {
    const probe = await this.outages.probe('redis');
    if (!probe.up) return s.down({ detail: `unreachable (${probe.reason})` });
    // Read from INFO (an app's ACL user may not run CONFIG): BullMQ loses jobs when Redis evicts keys.
    const policy = /^maxmemory_policy:(\S+)/m.exec(await this.redis.info('memory'))?.[1] ?? 'unknown';
    if (policy !== 'noeviction') {
      return s.down({ detail: `maxmemory-policy is ${policy}: jobs may be evicted, noeviction is required`, maxmemoryPolicy: policy });
    }
    return s.up({ detail: `answered in ${probe.ms} ms, maxmemory-policy noeviction`, maxmemoryPolicy: policy });
  }

  private async outboxCheck(s: HealthIndicatorSession<'outbox'>) {
    // Through the app's pool: asked only of a Postgres that answers, so a partition cannot pile hung probes into the pool.
    if (!(await this.outages.probe('postgres')).up) return s.down({ detail: 'not known: Postgres cannot be reached' });
    const { failed, oldestUnpublishedSeconds: oldest } = await this.outbox.health();
    const measures = { oldestUnpublishedSeconds: oldest === null ? null : Math.round(oldest * 10) / 10, failed };
    if (oldest !== null && oldest > OUTBOX_STUCK_SECONDS) {
      return s.down({ detail: `the oldest unpublished row is ${Math.round(oldest)} s old: jobs are not reaching the queues`, ...measures });
    }
    const notes = [
      oldest !== null && oldest > OUTBOX_BEHIND_SECONDS ? `the oldest unpublished row is ${Math.round(oldest)} s old` : '',
      failed ? `${failed} rows set aside after failing to publish` : '',
    ].filter(Boolean);
    if (notes.length) return s.degraded({ detail: notes.join('; '), ...measures });
    return s.up({ detail: oldest === null ? 'nothing waiting to publish' : `oldest unpublished row ${oldest.toFixed(1)} s old`, ...measures });
  }

  private async heartbeat<K extends BeatingApp>(s: HealthIndicatorSession<K>, app: K, heartbeats: Promise<Record<BeatingApp, AppHeartbeat>>) {
    const { ageMs, liveInstances } = (await heartbeats)[app];
    const heartbeatAgeSeconds = ageMs === undefined ? null : Math.round(ageMs / 100) / 10;
    if (ageMs === undefined) return s.down({ detail: `no heartbeat from ${APP_NAMES[app]}: it is not running`, heartbeatAgeSeconds, instances: 0 });
    if (ageMs >= HEARTBEAT_STALE_MS) {
      return s.down({
        detail: `${APP_NAMES[app]} last beat ${heartbeatAgeSeconds} s ago: it is dead or stalled`,
        heartbeatAgeSeconds,
        instances: 0,
      });
    }
    return s.up({
      detail: `${liveInstances} instance(s) of ${APP_NAMES[app]}, last beat ${heartbeatAgeSeconds} s ago`,
      heartbeatAgeSeconds,
      instances: liveInstances,
    });
  }

  private async peer<K extends Peer>(s: HealthIndicatorSession<K>, peer: K, peers: Promise<Record<Peer, PeerRecord>>) {
    const { sent, failed } = (await peers)[peer];
    const attempts = sent + failed;
    const failureRate = attempts ? Math.round((failed / attempts) * 100) / 100 : 0;
    const window = `in the last ${PEER_WINDOW_MINUTES} minutes`;
    if (!attempts) return s.up({ detail: `no sends ${window}`, sent, failed, failureRate });
    if (!failed) return s.up({ detail: `${sent} sends ${window}, none failed`, sent, failed, failureRate });
    // Sends are retried: a failing peer delays confirmations, it does not make them impossible.
    return s.degraded({ detail: `${failed} of ${attempts} sends failed ${window}`, sent, failed, failureRate });
  }
}
