import IORedis from 'ioredis';
import { BEATING_APPS, BeatingApp, HEARTBEAT_STALE_MS, heartbeatKey, PEER_WINDOW_MINUTES, PEERS, Peer, peerBucketKey } from './liveness-keys';

export interface AppHeartbeat {
  /** Milliseconds since the freshest instance's last beat; undefined when none has beaten within the retention. */
  ageMs?: number;
  /** Instances whose beat is fresh (younger than HEARTBEAT_STALE_MS). */
  liveInstances: number;
}

/** Each beating app's freshest heartbeat, aged at Redis's clock: one round trip. */
export async function readHeartbeats(redis: IORedis, prefix: string): Promise<Record<BeatingApp, AppHeartbeat>> {
  const pipeline = redis.pipeline().time();
  for (const app of BEATING_APPS) pipeline.zrevrange(heartbeatKey(prefix, app), 0, -1, 'WITHSCORES');
  const results = (await pipeline.exec()) ?? [];
  for (const [error] of results) if (error) throw error;
  const [seconds, micros] = results[0][1] as [string, string];
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const beats = {} as Record<BeatingApp, AppHeartbeat>;
  BEATING_APPS.forEach((app, i) => {
    const flat = results[i + 1][1] as string[];
    const ages = flat.filter((_, j) => j % 2 === 1).map((score) => Math.max(0, now - Number(score)));
    beats[app] = { ageMs: ages.length ? Math.min(...ages) : undefined, liveInstances: ages.filter((age) => age < HEARTBEAT_STALE_MS).length };
  });
  return beats;
}

export interface PeerRecord {
  sent: number;
  failed: number;
}

/** Each peer's sends in the last PEER_WINDOW_MINUTES minutes (and the next one, for writers whose clock runs ahead). */
export async function readPeerOutcomes(redis: IORedis, prefix: string, now = Date.now()): Promise<Record<Peer, PeerRecord>> {
  const minute = Math.floor(now / 60_000);
  const minutes = Array.from({ length: PEER_WINDOW_MINUTES + 1 }, (_, i) => minute + 1 - i);
  const pipeline = redis.pipeline();
  for (const peer of PEERS) for (const m of minutes) pipeline.hmget(peerBucketKey(prefix, peer, m), 'sent', 'failed');
  const results = (await pipeline.exec()) ?? [];
  for (const [error] of results) if (error) throw error;
  const record = {} as Record<Peer, PeerRecord>;
  PEERS.forEach((peer, p) => {
    const rows = results.slice(p * minutes.length, (p + 1) * minutes.length).map(([, row]) => row as (string | null)[]);
    record[peer] = {
      sent: rows.reduce((sum, [sent]) => sum + Number(sent ?? 0), 0),
      failed: rows.reduce((sum, [, failed]) => sum + Number(failed ?? 0), 0),
    };
  });
  return record;
}
