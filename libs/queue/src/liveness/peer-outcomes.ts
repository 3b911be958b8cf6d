import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LivenessRedis } from './liveness-redis';
import { PEER_BUCKET_TTL_SECONDS, Peer, peerBucketKey } from './liveness-keys';
import { OutageLog } from './outage-log';

/**
 * Counts each send to a notification peer (the SMTP relay, a push service) as `sent` or `failed`, per
 * minute in Redis, so that /health on any API instance can show the peers' recent failure rate.
 */
@Injectable()
export class PeerOutcomes {
  private readonly outage = new OutageLog(new Logger(PeerOutcomes.name), 'redis');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: LivenessRedis,
  ) {}

  /** Not awaited by the sender: a count must never delay or fail a send. */
  record(peer: Peer, outcome: 'sent' | 'failed'): void {
    const key = peerBucketKey(this.config.queuePrefix, peer, Math.floor(Date.now() / 60_000));
    this.redis
      .multi()
      .hincrby(key, outcome, 1)
      .expire(key, PEER_BUCKET_TTL_SECONDS)
      .exec()
      .then(
        () => this.outage.recovered(),
        (error: unknown) => this.outage.failed(error, `a ${peer} send was not counted`),
      );
  }
}
