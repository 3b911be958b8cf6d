import { createECDH, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A push service that accepts every request and never answers. It counts the requests it holds and those
 * the sender gave up on (closed before an answer), so a test can tell what happened while they hung.
 */
export class HangingPushEndpoint {
  received = 0;
  abandoned = 0;
  private readonly held = new Set<ServerResponse>();
  private readonly server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    this.received++;
    this.held.add(res);
    req.resume();
    res.once('close', () => {
      if (this.held.delete(res)) this.abandoned++;
    });
  });

  get hanging(): number {
    return this.held.size;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => this.server.once('error', reject).listen(0, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    this.held.clear();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A browser-shaped subscription (real P-256 key, 16-byte auth secret) pointing here. */
  subscription(): { endpoint: string; keys: { p256dh: string; auth: string } } {
    return {
      endpoint: `${this.origin}/push/${randomBytes(8).toString('hex')}`,
      keys: { p256dh: createECDH('prime256v1').generateKeys('base64url'), auth: randomBytes(16).toString('base64url') },
    };
  }
}
