import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { StoppableRedis } from '../stoppable-redis';
import { redisConnection } from '../redis-connection';

/** Records a beat at Redis's own clock, so that ages never depend on the hosts' clocks agreeing. */
const BEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return now`;

/** How long a liveness command may take: /health answers within a second, each of its probes within half. */
export const LIVENESS_COMMAND_TIMEOUT_MS = 500;

/**
 * Reconnects at most this far apart while Redis is away. The queues' connections back off to a second; this
 * one must not, since a probe sent just after Redis returns waits for the next reconnect and would time out.
 */
const LIVENESS_RECONNECT_CAP_MS = 200;

/**
 * The connection heartbeats, send counts and health probes use: this app's own Redis user, and fail-fast
 * (one retry, a command timeout) where the queues' connections wait forever for Redis to return.
 */
@Injectable()
export class LivenessRedis extends StoppableRedis implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super({
      ...redisConnection(config.app ? config.redisUrls[config.app] : config.redisUrl),
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(times * 50, LIVENESS_RECONNECT_CAP_MS),
      commandTimeout: LIVENESS_COMMAND_TIMEOUT_MS,
      connectTimeout: 1000,
    });
    // Failures surface on the commands, where their callers log them once per outage.
    this.on('error', () => undefined);
    this.defineCommand('livenessBeat', { numberOfKeys: 1, lua: BEAT });
  }

  beat(key: string, instance: string, retentionMs: number): Promise<number> {
    return (this as unknown as { livenessBeat(k: string, i: string, r: number): Promise<number> }).livenessBeat(key, instance, retentionMs);
  }

  onApplicationShutdown(): void {
    this.disconnect();
  }
}
