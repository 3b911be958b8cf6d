import { connect, createServer, Server, Socket } from 'node:net';

/** What crossed the proxy: statements the apps sent and how their transactions ended. */
export interface WireCounts {
  /** Every statement executed: simple-protocol queries and extended-protocol Executes. */
  statements: number;
  /** Of those, BEGIN / COMMIT / ROLLBACK / SAVEPOINT. */
  transactionControl: number;
  /** Transactions that ended committed, implicit (one statement) or explicit. */
  commits: number;
  /** Transactions opened with BEGIN (idle → in transaction). */
  explicitTransactions: number;
  rollbacks: number;
}

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const Q = 'Q'.charCodeAt(0);
const E = 'E'.charCodeAt(0);
const Z = 'Z'.charCodeAt(0);
const TX_CONTROL = /^\s*(BEGIN|START|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|END)\b/i;

/**
 * Walks a stream of Postgres protocol messages, keeping only the first bytes each message needs (the
 * query text's start for Q, the status byte for Z) and skipping the rest without copying it.
 */
class MessageScanner {
  private carry: Buffer = Buffer.alloc(0);
  private skip = 0;
  /** Untyped length-prefixed messages still expected (the client's startup, the server's SSL answer byte). */
  untyped: 'none' | 'startup' | 'ssl-answer';

  constructor(
    untyped: 'none' | 'startup',
    private readonly onMessage: (type: number, head: Buffer) => void,
    private readonly onStartup?: (code: number) => void,
  ) {
    this.untyped = untyped;
  }

  feed(chunk: Buffer): void {
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = Buffer.alloc(0);
    let i = 0;
    if (this.skip) {
      const n = Math.min(this.skip, buf.length);
      this.skip -= n;
      i = n;
    }
    while (i < buf.length) {
      if (this.untyped === 'ssl-answer') {
        this.untyped = 'none';
        i += 1;
        continue;
      }
      if (this.untyped === 'startup') {
        if (buf.length - i < 8) break;
        const len = buf.readInt32BE(i);
        const code = buf.readInt32BE(i + 4);
        if (code !== SSL_REQUEST && code !== GSS_REQUEST) this.untyped = 'none';
        this.onStartup?.(code);
        if (i + len > buf.length) {
          this.skip = i + len - buf.length;
          return;
        }
        i += len;
        continue;
      }
      if (buf.length - i < 5) break;
      const type = buf[i];
      const len = buf.readInt32BE(i + 1);
      const need = type === Q ? Math.min(len - 4, 24) : type === Z ? 1 : 0;
      if (buf.length - i - 5 < need) break;
      this.onMessage(type, buf.subarray(i + 5, i + 5 + need));
      const total = 1 + len;
      if (i + total > buf.length) {
        this.skip = i + total - buf.length;
        return;
      }
      i += total;
    }
    if (i < buf.length) this.carry = Buffer.from(buf.subarray(i));
  }
}

/**
 * A TCP proxy in front of Postgres that counts, on the wire, what the apps send through it: statements,
 * and, from the server's ReadyForQuery status, every transaction's end. Counted, not estimated, whichever
 * process sent them (the server's pg_stat_statements is not loaded on this machine).
 */
export class PgWireCounter {
  readonly counts: WireCounts = { statements: 0, transactionControl: 0, commits: 0, explicitTransactions: 0, rollbacks: 0 };
  private readonly server: Server = createServer((client) => this.accept(client));
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as { port: number }).port));
    });
  }

  snapshot(): WireCounts {
    return { ...this.counts };
  }

  stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.targetPort, this.targetHost);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => socket.destroy());
      socket.once('close', () => this.sockets.delete(socket));
    }
    let status = 'I';
    let executed = false;
    let failed = false;
    let rollback = false;
    const fromServer = new MessageScanner('none', (type, head) => {
      if (type === E) failed = true; // ErrorResponse
      if (type !== Z) return;
      const next = String.fromCharCode(head[0]);
      if (status === 'I' && next !== 'I') this.counts.explicitTransactions++;
      if (next === 'I' && executed) {
        if (failed || rollback || status === 'E') this.counts.rollbacks++;
        else this.counts.commits++;
        executed = failed = rollback = false;
      }
      status = next;
    });
    const fromClient = new MessageScanner(
      'startup',
      (type, head) => {
        if (type === Q) {
          this.counts.statements++;
          executed = true;
          const text = head.toString('latin1');
          if (TX_CONTROL.test(text)) {
            this.counts.transactionControl++;
            if (/^\s*ROLLBACK\b/i.test(text) && !/TO/i.test(text)) rollback = true;
          }
        } else if (type === E) {
          this.counts.statements++; // Execute (extended protocol)
          executed = true;
        }
      },
      (code) => {
        if (code === SSL_REQUEST || code === GSS_REQUEST) fromServer.untyped = 'ssl-answer';
      },
    );
    client.on('data', (chunk: Buffer) => {
      fromClient.feed(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      fromServer.feed(chunk);
      client.write(chunk);
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  }
}
