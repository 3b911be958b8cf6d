import { createECDH, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A push endpoint whose subscription has expired: it answers every request with `status` (410 Gone by
 * default) and counts the requests it gets, so a test can see that a retired device gets no more pushes.
 */
export class GonePushEndpoint {
  hits = 0;
  private readonly server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      this.hits++;
      res.writeHead(this.status).end();
    });
  });

  constructor(private readonly status = 410) {}

  start(): Promise<void> {
    return new Promise((resolve, reject) => this.server.once('error', reject).listen(0, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
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
