import { AppRole } from '@app/config';

/** The notification peers whose recent sends are counted: the SMTP relay and the push services. */
export type Peer = 'smtp' | 'push';
export const PEERS: readonly Peer[] = ['smtp', 'push'];

/** The apps that beat: the API answers /health itself, so only the two queue consumers do. */
export type BeatingApp = Exclude<AppRole, 'api'>;
export const BEATING_APPS: readonly BeatingApp[] = ['notifier', 'confirmer'];

/** How often each instance of a beating app writes its heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 2000;
/** A heartbeat older than this is a dead (or stalled) app: five missed beats. */
export const HEARTBEAT_STALE_MS = 10_000;
/** How long a heartbeat is kept at all: long enough to tell "stopped 5 min ago" from "never started". */
export const HEARTBEAT_RETENTION_MS = 15 * 60_000;

/** Sends are counted per minute; /health reads the last few. */
export const PEER_WINDOW_MINUTES = 5;
const PEER_BUCKET_TTL_SECONDS = (PEER_WINDOW_MINUTES + 2) * 60;

/**
 * The keys, under the queue prefix (so each app's Redis ACL user already reaches them and each test run
 * has its own). A sorted set per app: member an instance, score the Redis time of its last beat.
 */
export function heartbeatKey(prefix: string, app: BeatingApp): string {
  return `${prefix}:liveness:heartbeats:${app}`;
}

/** A hash per peer and minute: `sent` and `failed` counts. */
export function peerBucketKey(prefix: string, peer: Peer, minute: number): string {
  return `${prefix}:liveness:peers:${peer}:${minute}`;
}

export { PEER_BUCKET_TTL_SECONDS };
