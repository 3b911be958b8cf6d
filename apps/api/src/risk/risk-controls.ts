import { AppConfig, APP_CONFIG } from '@app/config';
import { AuditRepository, RecordedChange, WithdrawalRiskKeys, WithdrawalRiskRepository } from '@app/database';
import {
  ANOMALY_REASON,
  AnomalyKind,
  anomalyDestinationKey,
  anomalyHold,
  anomalyIpKey,
  autoPauseTrips,
  durationInWords,
  formatAmount,
  HoldReason,
  RequestRate,
} from '@app/domain';
import { OutageLog } from '@app/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Problem } from '../http/problem';
import { AutomaticPause } from './automatic-pause';
import { OperatorAlerts } from './operator-alerts';
import { RiskClock } from './risk-clock';
import { Counted, RiskCounters } from './risk-counters';

const DAY_MS = 24 * 3600_000;

/** A withdrawal request as the risk controls see it. */
export interface RiskRequest {
  userId: string;
  /** The client address (X-Forwarded-For only as TRUST_PROXY allows). */
  ip: string;
  /** The frontend's X-Device-Id, when sent (already validated). */
  deviceId?: string;
  asset: string;
  network: string;
  address: string;
  amount: string;
}

/** What counting the request found, before its transaction. */
export interface Screening {
  keys: WithdrawalRiskKeys;
  /** The first anomaly key over the limit, if any. */
  anomaly?: AnomalyKind;
  rate: RequestRate;
}

/**
 * The risk controls of a withdrawal request (shared/API.md "Risk controls"):
 * - before its transaction, `screen` counts it in Redis — distinct customers per requesting address,
 *   device and destination in ANOMALY_WINDOW, and requests per minute — and pauses everything when
 *   requests spike (the request that tripped it is refused like every one after it);
 *   (when Redis does not answer, the same counts are taken from Postgres: the controls stay on);
 * - inside its transaction, `holdReason` adds the velocity limit (counted in Postgres under a lock per
 *   customer and asset) and `record` keeps the keys, the audit entry and the operators' alert with the
 *   withdrawal — all committed with it, or not at all.
 */
@Injectable()
export class RiskControls {
  private readonly logger = new Logger(RiskControls.name);
  // Logged when Redis stops answering the counters and when it answers again, not on every request between.
  private readonly countersOutage = new OutageLog(this.logger, 'redis (risk counters)');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly counters: RiskCounters,
    private readonly clock: RiskClock,
    private readonly risk: WithdrawalRiskRepository,
    private readonly pause: AutomaticPause,
    private readonly alerts: OperatorAlerts,
    private readonly audit: AuditRepository,
  ) {}

  async screen(request: RiskRequest): Promise<Screening> {
    const { anomalyMaxAccounts, autoPauseFactor, autoPauseMinPerMinute } = this.config.risk;
    const keys = {
      ip: anomalyIpKey(request.ip),
      ...(request.deviceId ? { device: request.deviceId } : {}),
      destination: anomalyDestinationKey(request.network, request.address),
    };
    const counted = await this.count(request.userId, keys);
    if (autoPauseTrips(counted.rate, { factor: autoPauseFactor, minPerMinute: autoPauseMinPerMinute })) {
      await this.pause.trip(counted.rate);
      throw new Problem('withdrawals_paused', 'withdrawals are paused automatically after an unusual surge; operators have been alerted');
    }
    return {
      keys: { ipKey: keys.ip, deviceKey: keys.device ?? null, destinationKey: keys.destination, distinctAccounts: counted.distinctAccounts },
      anomaly: anomalyHold(counted.distinctAccounts, anomalyMaxAccounts),
      rate: counted.rate,
    };
  }

  /** Whether holdReason might hold this request: a screening anomaly, or a velocity limit on its asset to count against. */
  mayHold(request: RiskRequest, screening: Screening): boolean {
    return Boolean(screening.anomaly) || Boolean(this.config.risk.velocityLimits[request.asset]);
  }

  /** Why the withdrawal is to be created held, if it is: an anomaly first, else the customer's velocity limit. */
  async holdReason(
    m: EntityManager,
    request: RiskRequest,
    screening: Screening,
  ): Promise<{ reason: HoldReason; velocity?: { total: string; limit: string } } | undefined> {
    if (screening.anomaly) return { reason: ANOMALY_REASON[screening.anomaly] };
    const limit = this.config.risk.velocityLimits[request.asset];
    if (!limit) return undefined;
    const velocity = await this.risk.exceedsVelocity(m, {
      userId: request.userId,
      asset: request.asset,
      amount: request.amount,
      limit,
      since: new Date(this.clock.now() - DAY_MS),
    });
    return velocity.exceeds ? { reason: 'velocity', velocity: { total: formatAmount(velocity.total), limit } } : undefined;
  }

  /** The keys the withdrawal is counted under, as a change for the request's statement that makes it with others. */
  recordChange(withdrawalId: string, screening: Screening): RecordedChange {
    return this.risk.recordChange(withdrawalId, screening.keys);
  }

  /** A held withdrawal's audit entry and, once per key and window, the operators' alert (an anomaly, the velocity limit). */
  async recordHold(
    m: EntityManager,
    withdrawalId: string,
    request: RiskRequest,
    screening: Screening,
    hold: { reason: HoldReason; velocity?: { total: string; limit: string } },
  ): Promise<void> {
    const { anomalyWindowMs, anomalyMaxAccounts } = this.config.risk;
    const kind = screening.anomaly;
    const key = kind ? { kind, value: this.keyValue(screening.keys, kind) } : undefined;
    await this.audit.append(m, {
      event: 'withdrawal_held',
      userId: request.userId,
      withdrawalId,
      detail: {
        reason: hold.reason,
        ...(key ? { key, window: durationInWords(anomalyWindowMs), maxAccounts: anomalyMaxAccounts } : {}),
        distinctAccounts: screening.keys.distinctAccounts,
        ...(hold.velocity ? { asset: request.asset, ...hold.velocity } : {}),
      },
    });
    if (key) {
      await this.alerts.held(m, hold.reason, key.value, anomalyWindowMs, withdrawalId, {
        distinctAccounts: screening.keys.distinctAccounts[key.kind] ?? 0,
        maxAccounts: anomalyMaxAccounts,
        window: durationInWords(anomalyWindowMs),
      });
    } else if (hold.velocity) {
      await this.alerts.held(m, 'velocity', `${request.userId}\u001f${request.asset}`, DAY_MS, withdrawalId, {
        asset: request.asset,
        total: hold.velocity.total,
        limit: hold.velocity.limit,
      });
    }
  }

  /**
   * After an operator resumed: the automatic pause counts from now, so the spike that tripped it does not trip
   * it again (in Postgres, the resume's audit entry says the same when Redis is away).
   */
  async resumed(): Promise<void> {
    try {
      await this.counters.resumed(this.clock.now());
    } catch (error) {
      this.logger.warn(`the resume could not be noted in Redis (${(error as Error).message}); the Postgres fallback counts from its audit entry`);
    }
  }

  /** Redis first (every instance's requests, in flight ones included); Postgres when Redis does not answer. */
  private async count(userId: string, keys: Partial<Record<AnomalyKind, string>>): Promise<Counted> {
    const now = this.clock.now();
    const { anomalyWindowMs } = this.config.risk;
    try {
      const counted = await this.counters.count(now, anomalyWindowMs, userId, keys);
      this.countersOutage.recovered();
      return counted;
    } catch (error) {
      this.countersOutage.failed(error, 'counting in Postgres until it answers');
      const counts = await this.risk.recentCounts({
        userId,
        keys: anomalyWindowMs > 0 ? keys : {},
        since: new Date(now - anomalyWindowMs),
        now: new Date(now),
      });
      const distinctAccounts: Counted['distinctAccounts'] = {};
      for (const kind of ['ip', 'device', 'destination'] as const) {
        const n = counts[kind];
        if (n !== null) distinctAccounts[kind] = n;
      }
      return { distinctAccounts, rate: { lastMinute: counts.lastMinute, trailingHour: counts.trailingHour } };
    }
  }

  private keyValue(keys: WithdrawalRiskKeys, kind: AnomalyKind): string {
    switch (kind) {
      case 'ip':
        return keys.ipKey ?? '';
      case 'device':
        return keys.deviceKey ?? '';
      case 'destination':
        return keys.destinationKey;
    }
  }
}
