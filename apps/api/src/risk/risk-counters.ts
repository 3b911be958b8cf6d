import { AppConfig, APP_CONFIG } from '@app/config';
import { AnomalyCounts, AnomalyKind, RequestRate } from '@app/domain';
import { redisConnection, StoppableRedis } from '@app/queue';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import IORedis from 'ioredis';
import { createHash } from 'node:crypto';
import { DependencyOutages } from '../health/dependency-outages';

/** The trailing hour the automatic pause compares against ends where the last minute begins. */
const MINUTE_MS = 60_000;
/** How long a count may take in Redis before the risk controls count in Postgres instead. */
const RISK_COMMAND_TIMEOUT_MS = 500;
const HOUR_MS = 3_600_000;

/**
 * One round trip, atomic across every API instance: for each anomaly key, the customer is added to the
 * key's sorted set (score: now), those outside the window are dropped, and the distinct customers left are
 * counted. The automatic pause counts customers requesting, not requests, so that one hostile account
 * cannot pause everyone: the customer is put in the requesters set (score: their latest request), and
 * the last minute (from the last resume at the earliest) counts the distinct customers in it; the
 * customer's minute is put in the requester-minutes set, which keeps 61 minutes, and the hour before the
 * last minute counts its distinct customer-minutes.
 *   KEYS: the anomaly sets…, the requester-minutes set, the resumed-at key, the requesters set
 *   ARGV: now, window, customer, the customer's minute, number of anomaly sets
 * Returns the distinct customers per anomaly set, then the last minute's and the trailing hour's requests.
 */
const COUNT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local sets = tonumber(ARGV[5])
local at = function(ms) return string.format('%.0f', ms) end
local counts = {}
for i = 1, sets do
  redis.call('ZADD', KEYS[i], at(now), ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. at(now - window))
  redis.call('PEXPIRE', KEYS[i], at(window))
  counts[i] = redis.call('ZCARD', KEYS[i])
end
local minutes = KEYS[sets + 1]
local requesters = KEYS[sets + 3]
redis.call('ZADD', minutes, at(now), ARGV[4])
redis.call('ZREMRANGEBYSCORE', minutes, '-inf', '(' .. at(now - ${HOUR_MS + MINUTE_MS}))
redis.call('PEXPIRE', minutes, ${HOUR_MS + MINUTE_MS})
redis.call('ZADD', requesters, at(now), ARGV[3])
redis.call('ZREMRANGEBYSCORE', requesters, '-inf', '(' .. at(now - ${MINUTE_MS}))
redis.call('PEXPIRE', requesters, ${MINUTE_MS})
local since = now - ${MINUTE_MS}
local resumed = tonumber(redis.call('GET', KEYS[sets + 2]) or '0')
if resumed > since then since = resumed end
counts[sets + 1] = redis.call('ZCOUNT', requesters, '(' .. at(since), at(now))
counts[sets + 2] = redis.call('ZCOUNT', minutes, '(' .. at(now - ${HOUR_MS + MINUTE_MS}), at(now - ${MINUTE_MS}))
return counts`;

type Counting = IORedis & { riskCount(...keysAndArgs: (string | number)[]): Promise<number[]> };

/** Distinct customers per key and requests per minute, as one withdrawal request adds to them. */
export interface Counted {
  distinctAccounts: AnomalyCounts;
  rate: RequestRate;
}

/** A key's value hashed: Redis keys stay bounded, and a reader of Redis sees no address or device id. */
const hashed = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url');

/**
 * The risk controls' counters in Redis, on a connection of their own (keys under `<QUEUE_PREFIX>:risk:`),
 * shared by every API instance. A command that gets no answer within half a second fails, and the risk
 * controls count in Postgres instead (RiskControls): a Redis that hangs delays a request, it does not stop it.
 */
@Injectable()
export class RiskCounters implements OnApplicationShutdown {
  private readonly redis: Counting;
  private readonly prefix: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig, outages: DependencyOutages) {
    const redis = new StoppableRedis({ ...redisConnection(config.redisUrls.api), maxRetriesPerRequest: 1, commandTimeout: RISK_COMMAND_TIMEOUT_MS });
    redis.on('error', () => outages.report('redis'));
    redis.defineCommand('riskCount', { lua: COUNT });
    this.redis = redis as Counting;
    this.prefix = `${config.queuePrefix}:risk:`;
  }

  /**
   * Counts one withdrawal request at `now`: `customer` under each of `keys` within `windowMs` (none when the
   * window is 0), and the request itself.
   */
  async count(now: number, windowMs: number, customer: string, keys: Partial<Record<AnomalyKind, string>>): Promise<Counted> {
    const kinds = windowMs > 0 ? (Object.keys(keys) as AnomalyKind[]).filter((k) => keys[k] !== undefined) : [];
    const redisKeys = [
      ...kinds.map((k) => `${this.prefix}accounts:${k}:${hashed(keys[k]!)}`),
      `${this.prefix}requester-minutes`,
      `${this.prefix}resumed-at`,
      `${this.prefix}requesters`,
    ];
    const customerKey = hashed(customer);
    const counts = await this.redis.riskCount(
      redisKeys.length,
      ...redisKeys,
      now,
      windowMs,
      customerKey,
      `${customerKey}:${Math.floor(now / MINUTE_MS)}`,
      kinds.length,
    );
    const distinctAccounts: AnomalyCounts = {};
    kinds.forEach((k, i) => (distinctAccounts[k] = counts[i]));
    return { distinctAccounts, rate: { lastMinute: counts[kinds.length], trailingHour: counts[kinds.length + 1] } };
  }

  /** An operator resumed at `now`: the automatic pause counts the last minute from here, not from before. */
  async resumed(now: number): Promise<void> {
    await this.redis.set(`${this.prefix}resumed-at`, String(now), 'PX', HOUR_MS);
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
