import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server in process (plain SMTP, no auth) that keeps every message it receives, parsed. */
export class SmtpCatcher {
  readonly messages: ParsedMail[] = [];
  /** When set, every new connection is greeted with `421` (service not available, try later) and closed. */
  busy = false;
  /** Connections turned away while busy. */
  turnedAway = 0;
  private readonly events = new EventEmitter();
  /**
   * `greetingDelayMs` holds back the 220 greeting as real servers do (anti-spam "greet pause"): what makes
   * opening a connection per message expensive. `keep: false` keeps nothing (a bench with thousands of
   * messages reads them through onMessage).
   */
  constructor(private readonly options: { greetingDelayMs?: number; keep?: boolean } = {}) {
    this.events.setMaxListeners(0);
  }

  private readonly server = new SMTPServer({
    onConnect: (_session, callback) => {
      if (this.busy) {
        this.turnedAway++;
        return callback(Object.assign(new Error('Service not available, try again later'), { responseCode: 421 }));
      }
      const delay = this.options.greetingDelayMs ?? 0;
      if (delay > 0) setTimeout(() => callback(), delay);
      else callback();
    },
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    closeTimeout: 1000, // stop() should not wait 30 s for a client that keeps its connection open
    onData: (stream, _session, callback) => {
      simpleParser(stream)
        .then(async (mail) => {
          const hold = this.holds.find((h) => h.predicate(mail));
          if (hold) {
            hold.arrived(mail);
            await hold.released;
          }
          if (this.options.keep !== false) this.messages.push(mail);
          this.events.emit('message', mail);
        })
        .then(
          () => callback(),
          (error: Error) => callback(error),
        );
    },
  });

  get url(): string {
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(resolve));
  }

  private readonly holds: { predicate: (mail: ParsedMail) => boolean; arrived: (mail: ParsedMail) => void; released: Promise<void> }[] = [];

  /**
   * The next message matching `predicate` is received but not answered (the sender waits for its "250")
   * until release() is called: a slow SMTP peer, at the moment the sender depends on it.
   */
  holdBack(predicate: (mail: ParsedMail) => boolean): { arrived: Promise<ParsedMail>; release: () => void } {
    let arrived!: (mail: ParsedMail) => void;
    let release!: () => void;
    const arrival = new Promise<ParsedMail>((resolve) => (arrived = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const hold = { predicate, arrived, released };
    this.holds.push(hold);
    return {
      arrived: arrival,
      release: () => {
        this.holds.splice(this.holds.indexOf(hold), 1);
        release();
      },
    };
  }

  /** Every message as it arrives (for consumers that index them themselves). */
  onMessage(listener: (mail: ParsedMail) => void): void {
    this.events.on('message', listener);
  }

  count(predicate: (mail: ParsedMail) => boolean): number {
    return this.messages.filter(predicate).length;
  }

  /** The first message matching `predicate`, whether it already arrived or arrives within the timeout. */
  waitFor(predicate: (mail: ParsedMail) => boolean, timeoutMs = 30_000): Promise<ParsedMail> {
    const found = this.messages.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onMessage = (mail: ParsedMail) => {
        if (!predicate(mail)) return;
        clearTimeout(timer);
        this.events.off('message', onMessage);
        resolve(mail);
      };
      const timer = setTimeout(() => {
        this.events.off('message', onMessage);
        const subjects = this.messages.map((m) => JSON.stringify(m.subject)).join(', ') || 'none';
        reject(new Error(`SmtpCatcher: no matching mail within ${timeoutMs} ms (received: ${subjects})`));
      }, timeoutMs);
      this.events.on('message', onMessage);
    });
  }
}

/** Whether a received message was addressed to `address`. */
export function sentTo(mail: ParsedMail, address: string): boolean {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.some((a) => a.value.some((v) => v.address === address));
}
