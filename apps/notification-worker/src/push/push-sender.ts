import { APP_CONFIG, AppConfig } from '@app/config';
import { buildPushRequest, PushKeys } from '@app/crypto/push-encryption';
import { PeerOutcomes } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';

export type PushResult = 'delivered' | 'gone';

export class PushServiceError extends Error {}

/**
 * The web-push adapter: web-push builds the request (RFC 8291 encryption, VAPID), fetch sends it to the
 * subscription's push service with a timeout. Each send is counted for /health: an answer (gone included)
 * as sent, an error status, a timeout or a refused connection as failed.
 */
@Injectable()
export class PushSender {
  private readonly vapid: { publicKey: string; privateKey: string; subject: string };
  private readonly timeoutMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly peers: PeerOutcomes,
  ) {
    this.timeoutMs = config.delivery.pushTimeoutMs;
    if (!config.vapid.privateKey) throw new Error('VAPID_PRIVATE_KEY is required by the notification worker');
    this.vapid = { ...config.vapid, privateKey: config.vapid.privateKey };
  }

  /** 'gone' when the push service says the subscription no longer exists (404/410); throws to retry otherwise. */
  async send(subscription: { endpoint: string; keys: PushKeys }, payload: object, ttlSeconds: number): Promise<PushResult> {
    const request = buildPushRequest(subscription, JSON.stringify(payload), this.vapid, Math.max(0, Math.floor(ttlSeconds)));
    let response: Response;
    try {
      response = await fetch(request.endpoint, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.arrayBuffer();
    } catch (error) {
      this.peers.record('push', 'failed');
      throw error;
    }
    const gone = response.status === 404 || response.status === 410;
    this.peers.record('push', gone || response.ok ? 'sent' : 'failed');
    if (gone) return 'gone';
    if (!response.ok) throw new PushServiceError(`push service answered ${response.status}`);
    return 'delivered';
  }
}
