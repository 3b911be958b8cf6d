import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { BEATING_APPS, BeatingApp, HEARTBEAT_INTERVAL_MS, HEARTBEAT_RETENTION_MS, heartbeatKey } from './liveness-keys';
import { LivenessRedis } from './liveness-redis';
import { OutageLog } from './outage-log';

/**
 * This instance's heartbeat, for /health: every HEARTBEAT_INTERVAL_MS it stamps itself, at Redis's
 * clock, in its app's sorted set. In Redis rather than Postgres: a beat every two seconds per instance
 * would be a stream of dead rows and WAL for a fact that is worthless a minute later, and each app's Redis
 * user already reaches the key. A dead or stalled process (SIGKILL, SIGSTOP, a blocked event loop) stops
 * beating; one stopped gracefully takes itself out at once.
 */
@Injectable()
export class Heartbeat implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly app?: BeatingApp;
  private readonly key?: string;
  private readonly instance = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly outage = new OutageLog(new Logger(Heartbeat.name), 'redis');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly redis: LivenessRedis,
  ) {
    this.app = BEATING_APPS.find((app) => app === config.app);
    if (this.app) this.key = heartbeatKey(config.queuePrefix, this.app);
  }

  onApplicationBootstrap(): void {
    if (!this.key) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (!this.key) return;
    // Best effort: if Redis cannot be told, the beat simply goes stale.
    await this.redis.zrem(this.key, this.instance).catch((error: unknown) => this.outage.failed(error, 'heartbeat not withdrawn'));
  }

  private async beat(): Promise<void> {
    try {
      await this.redis.beat(this.key!, this.instance, HEARTBEAT_RETENTION_MS);
      this.outage.recovered();
    } catch (error) {
      this.outage.failed(error, `the ${this.app} heartbeat is not written`);
    }
  }
}
