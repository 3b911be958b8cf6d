import { EventEmitter } from 'node:events';
import * as ece from 'http_ece';
import { createECDH, createPublicKey, randomBytes, randomUUID, type ECDH } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';

export interface PushMessage {
  endpoint: string;
  payload: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  receivedAt: Date;
}

export interface RejectedPush {
  endpoint: string;
  status: number;
  reason: string;
  headers: IncomingHttpHeaders;
  receivedAt: Date;
}

class PushRejection extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A real push service in process: it issues browser-like subscriptions and, like FCM or Mozilla autopush,
 * checks VAPID (RFC 8292) before accepting a message, then decrypts it (RFC 8291) as the browser would.
 */
export class TestPushService {
  readonly messages: PushMessage[] = [];
  readonly rejected: RejectedPush[] = [];
  private readonly subscriptions = new Map<string, { receiver: ECDH; auth: Buffer }>();
  private readonly statusOverrides = new Map<string, number>();
  /** Answer every push with this status (e.g. 500), unrecorded; undefined: behave. */
  failWith?: number;
  private hanging = false;
  private readonly held: (() => void)[] = [];
  private readonly events = new EventEmitter();
  private readonly server: Server = createServer((req, res) => {
    this.handle(req).then(
      (status) => res.writeHead(status).end(),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject).listen(0, '127.0.0.1', resolve);
    });
  }

  stop(): Promise<void> {
    this.answerAgain();
    this.server.closeAllConnections();
    return new Promise((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  /** Every accepted message as it arrives (for consumers that index them themselves). */
  onMessage(listener: (message: PushMessage) => void): void {
    this.events.setMaxListeners(0);
    this.events.on('message', listener);
  }

  newSubscription(): { endpoint: string; keys: { p256dh: string; auth: string } } {
    const receiver = createECDH('prime256v1');
    const auth = randomBytes(16);
    const path = `/push/${randomUUID()}`;
    this.subscriptions.set(path, { receiver, auth });
    return {
      endpoint: this.origin + path,
      keys: { p256dh: receiver.generateKeys('base64url'), auth: auth.toString('base64url') },
    };
  }

  /** Later posts to this endpoint get `status` (e.g. 410 Gone for an expired subscription), unrecorded. */
  respondWith(endpoint: string, status: number): void {
    this.statusOverrides.set(new URL(endpoint).pathname, status);
  }

  /** A push service that accepts connections and never answers, until `answerAgain()` (held requests then get 503). */
  hang(): void {
    this.hanging = true;
  }

  answerAgain(): void {
    this.hanging = false;
    for (const release of this.held.splice(0)) release();
  }

  /** The first recorded message matching `predicate`, whether it already arrived or arrives within the timeout. */
  waitFor(predicate: (message: PushMessage) => boolean, timeoutMs = 30_000): Promise<PushMessage> {
    const found = this.messages.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onMessage = (message: PushMessage) => {
        if (!predicate(message)) return;
        clearTimeout(timer);
        this.events.off('message', onMessage);
        resolve(message);
      };
      const timer = setTimeout(() => {
        this.events.off('message', onMessage);
        const seen = `${this.messages.length} recorded, ${this.rejected.length} rejected`;
        reject(new Error(`TestPushService: no matching push message within ${timeoutMs} ms (${seen})`));
      }, timeoutMs);
      this.events.on('message', onMessage);
    });
  }

  private async handle(req: IncomingMessage): Promise<number> {
    const path = new URL(req.url ?? '/', this.origin).pathname;
    const subscription = this.subscriptions.get(path);
    const body = Buffer.concat(await req.toArray());
    if (req.method !== 'POST') return 405;
    if (!subscription) return 404;
    if (this.hanging) return new Promise<number>((resolve) => this.held.push(() => resolve(503)));
    if (this.failWith !== undefined) return this.failWith;
    const override = this.statusOverrides.get(path);
    if (override !== undefined) return override;

    const endpoint = this.origin + path;
    const receivedAt = new Date();
    try {
      await this.verifyVapid(req.headers.authorization);
      if (req.headers['content-encoding'] !== 'aes128gcm') throw new PushRejection(415, 'Content-Encoding must be aes128gcm');
      const { ttl } = req.headers;
      if (typeof ttl !== 'string' || !/^\d+$/.test(ttl)) throw new PushRejection(400, 'TTL header missing or invalid');
      const payload = this.decrypt(body, subscription);
      const message = { endpoint, payload, headers: req.headers, receivedAt };
      this.messages.push(message);
      this.events.emit('message', message);
      return 201;
    } catch (error) {
      if (!(error instanceof PushRejection)) throw error;
      this.rejected.push({ endpoint, status: error.status, reason: error.message, headers: req.headers, receivedAt });
      return error.status;
    }
  }

  /** `vapid t=<ES256 JWT>, k=<P-256 public key>`: signature by k, aud = this origin, exp within 24 h. */
  private async verifyVapid(authorization = ''): Promise<void> {
    const match = /^vapid t=([^,\s]+),\s*k=([\w-]+)$/.exec(authorization);
    if (!match) throw new PushRejection(401, 'Authorization is not "vapid t=..., k=..."');
    const [, jwt, k] = match;
    try {
      const point = Buffer.from(k, 'base64url');
      if (point.length !== 65 || point[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
      const key = createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
        format: 'jwk',
      });
      const { payload } = await jwtVerify(jwt, key, { algorithms: ['ES256'], audience: this.origin, requiredClaims: ['exp'] });
      if (payload.exp! > Date.now() / 1000 + 24 * 3600) throw new Error('exp is more than 24 hours ahead');
    } catch (error) {
      throw new PushRejection(401, `VAPID rejected: ${(error as Error).message}`);
    }
  }

  private decrypt(body: Buffer, { receiver, auth }: { receiver: ECDH; auth: Buffer }): Record<string, unknown> {
    try {
      return JSON.parse(ece.decrypt(body, { version: 'aes128gcm', privateKey: receiver, authSecret: auth }).toString('utf8'));
    } catch (error) {
      throw new PushRejection(400, `Payload could not be decrypted or parsed: ${(error as Error).message}`);
    }
  }
}
