import { connect, createServer, Server, Socket } from 'node:net';

/**
 * A TCP forwarder the test switches between forwarding and refusing: `refuse()` drops every open connection
 * and closes each new one at once (a peer that is down: SMTP refusing, Redis stopped), `forward()` brings
 * the peer back. It counts the connections it refused, so a test sees how often a client tried.
 */
export class SwitchablePeer {
  private readonly server: Server = createServer((client) => this.accept(client));
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  private port = 0;
  refused = 0;

  /** `target` is read at each connection: the peer behind may start after this forwarder. */
  constructor(private readonly target: () => { host: string; port: number }) {}

  static toUrl(url: () => string): SwitchablePeer {
    return new SwitchablePeer(() => {
      const parsed = new URL(url());
      return { host: parsed.hostname, port: Number(parsed.port) };
    });
  }

  /** Listens on a free loopback port; resolves with the URL to give the app instead of the peer's. */
  start(protocol: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve(`${protocol}://127.0.0.1:${(this.server.address() as { port: number }).port}`));
    });
  }

  refuse(): void {
    this.refusing = true;
    for (const socket of this.sockets) socket.destroy();
  }

  forward(): void {
    this.refusing = false;
  }

  /** Down as a stopped process is: its connections dropped and its port closed (clients get ECONNREFUSED). */
  async shutDown(): Promise<void> {
    this.port = (this.server.address() as { port: number }).port;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Back on the same port. */
  reopen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => resolve());
    });
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
    if (this.refusing) {
      this.refused++;
      client.on('error', () => undefined);
      client.destroy();
      return;
    }
    this.track(client);
    const { host, port } = this.target();
    const upstream = this.track(connect(port, host));
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  }
}
