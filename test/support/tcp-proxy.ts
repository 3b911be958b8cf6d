import { createServer, connect, Server, Socket } from 'node:net';

/**
 * A TCP proxy the test controls, put between an app and Redis. `blackhole()` makes it swallow every byte
 * in both directions and hold new connections open without forwarding them: to the app, Redis simply
 * stops answering — the network partition that strands a job between a database commit and its enqueue.
 */
export class TcpProxy {
  private readonly server: Server = createServer((client) => this.accept(client));
  private readonly sockets = new Set<Socket>();
  private blackholed = false;
  private port?: number;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static forUrl(url: string): TcpProxy {
    const parsed = new URL(url);
    return new TcpProxy(parsed.hostname, Number(parsed.port || 6379));
  }

  /** Listens on a free local port; resolves with the URL to give the app instead of the target's. */
  start(protocol = 'redis'): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        const { port } = this.server.address() as { port: number };
        this.port = port;
        resolve(`${protocol}://127.0.0.1:${port}`);
      });
    });
  }

  blackhole(): void {
    this.blackholed = true;
  }

  /**
   * The peer gone: every connection dropped and new ones refused (ECONNREFUSED), as when the process
   * behind it crashed. `restore()` listens again on the same port.
   */
  cut(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Forwards again after `cut()` or `blackhole()`; connections held by the black hole are dropped. */
  async restore(): Promise<void> {
    if (this.blackholed) {
      this.blackholed = false;
      for (const socket of this.sockets) socket.destroy();
    }
    if (this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  get connections(): number {
    return this.sockets.size;
  }

  stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): Socket {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.blackholed) {
      client.on('data', () => undefined); // held open, never forwarded
      return;
    }
    const upstream = this.track(connect(this.targetPort, this.targetHost));
    client.on('data', (chunk) => {
      if (!this.blackholed) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!this.blackholed) client.write(chunk);
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => {
      if (!this.blackholed) client.destroy();
    });
  }
}
