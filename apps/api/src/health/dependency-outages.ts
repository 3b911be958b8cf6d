import { failureReason, LivenessRedis, OutageLog } from '@app/queue';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { isConnectionFailure } from './connection-failures';
import { PostgresProbe } from './postgres-probe';

export type Dependency = 'postgres' | 'redis';
const DEPENDENCIES: readonly Dependency[] = ['postgres', 'redis'];

export type ProbeResult = { up: true; ms: number } | { up: false; reason: string };

/** How long one probe's answer stands for the requests that fail meanwhile (and how often an outage is re-probed). */
const PROBE_REUSE_MS = 500;
const RECOVERY_PROBE_EVERY_MS = 1000;

/** What a client is told to wait before retrying while a dependency is down. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Whether Postgres and Redis can be reached from this API instance, as its probes and its requests find
 * them. An outage is logged once when it starts (the first failed probe, request or Redis client error)
 * and once when it ends (found by probing every second while it lasts), never once per request.
 */
@Injectable()
export class DependencyOutages implements OnApplicationShutdown {
  private readonly logs: Record<Dependency, OutageLog>;
  private readonly lastProbe = new Map<Dependency, { at: number; result: Promise<ProbeResult> }>();
  private recoveryTimer?: NodeJS.Timeout;

  constructor(
    private readonly postgres: PostgresProbe,
    private readonly redis: LivenessRedis,
  ) {
    const logger = new Logger('outages');
    this.logs = { postgres: new OutageLog(logger, 'postgres'), redis: new OutageLog(logger, 'redis') };
  }

  isDown(dependency: Dependency): boolean {
    return this.logs[dependency].down;
  }

  /**
   * A failure seen elsewhere (a Redis client's error event): probed before it counts, since a client may
   * report an error of its own (a dropped socket it reconnects at once) while the dependency answers.
   */
  report(dependency: Dependency): void {
    if (!this.isDown(dependency)) void this.probe(dependency);
  }

  /**
   * Probes the dependency now, sharing a probe begun within the last half second (unless `fresh`) and,
   * when `since` is given, only one begun at or after it.
   */
  probe(dependency: Dependency, fresh = false, since = 0): Promise<ProbeResult> {
    const last = this.lastProbe.get(dependency);
    if (!fresh && last && last.at >= since && Date.now() - last.at < PROBE_REUSE_MS) return last.result;
    const result = this.run(dependency);
    this.lastProbe.set(dependency, { at: Date.now(), result });
    return result;
  }

  /**
   * Which dependency an unexpected error of a request is explained by: a connection failure by its codes,
   * or any error while a probe finds Postgres or Redis unreachable. Undefined: a genuine internal error.
   */
  async explain(error: unknown): Promise<Dependency | 'connection' | undefined> {
    const failedBy = Date.now();
    const connection = isConnectionFailure(error);
    // A shared probe that says "down" stands; one that says "up" counts only if it began after the failure:
    // a probe that answered just before a cut (a /health call) would call the cut's errors internal ones.
    const results = await Promise.all(
      DEPENDENCIES.map(async (d) => {
        const shared = await this.probe(d);
        return shared.up ? this.probe(d, false, failedBy) : shared;
      }),
    );
    const down = DEPENDENCIES.find((_, i) => !results[i].up);
    if (down) return down;
    // A connection lost and already back (a restarted peer, a dropped socket): still a retry, not a bug.
    return connection ? 'connection' : undefined;
  }

  onApplicationShutdown(): void {
    clearInterval(this.recoveryTimer);
  }

  private async run(dependency: Dependency): Promise<ProbeResult> {
    const started = Date.now();
    try {
      if (dependency === 'postgres') await this.postgres.ping();
      else await this.redis.ping();
      this.logs[dependency].recovered();
      return { up: true, ms: Date.now() - started };
    } catch (error) {
      if (this.logs[dependency].failed(error)) this.watchForRecovery();
      return { up: false, reason: failureReason(error) };
    }
  }

  private watchForRecovery(): void {
    if (this.recoveryTimer) return;
    this.recoveryTimer = setInterval(() => {
      const down = DEPENDENCIES.filter((d) => this.isDown(d));
      if (!down.length) {
        clearInterval(this.recoveryTimer);
        this.recoveryTimer = undefined;
        return;
      }
      for (const d of down) void this.probe(d);
    }, RECOVERY_PROBE_EVERY_MS);
  }
}
