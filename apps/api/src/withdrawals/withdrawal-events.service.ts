import { APP_CONFIG, AppConfig } from '@app/config';
import { isOpen } from '@app/domain';
import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { ServerResponse } from 'node:http';
import { Problem } from '../http/problem';
import { WithdrawalChangeFeed } from './withdrawal-change-feed';
import { WithdrawalStatusService } from './withdrawal-status.service';

/** Streams one customer may hold open on one API instance: enough for every tab, not for a flood. */
const STREAMS_PER_CUSTOMER = 10;

/**
 * Server-Sent Events of a withdrawal's status document: at once, on every change the feed announces, and
 * checked again at every heartbeat (so a change whose announcement was lost shows within one heartbeat);
 * a comment line at each heartbeat keeps proxies from closing the stream; the stream ends after a final
 * status. Each document is read from Postgres for its owner, as GET /v1/withdrawals/:id is.
 */
@Injectable()
export class WithdrawalEventsService implements BeforeApplicationShutdown {
  private readonly openStreams = new Map<string, number>();
  /** Every open stream's closer: an instance shutting down ends its streams, or the server would wait on them. */
  private readonly closers = new Set<() => void>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly status: WithdrawalStatusService,
    private readonly feed: WithdrawalChangeFeed,
  ) {}

  /** Throws before anything is sent (404 for another customer's withdrawal, 429 past the streams allowed). */
  async open(userId: string, withdrawalId: string, start: (headers: Record<string, string>) => ServerResponse): Promise<void> {
    const first = await this.status.forOwner(userId, withdrawalId);
    const streams = this.openStreams.get(userId) ?? 0;
    if (streams >= STREAMS_PER_CUSTOMER) throw new Problem('rate_limited', 'too many open event streams for this account', { 'retry-after': '30' });
    this.openStreams.set(userId, streams + 1);

    const out = start({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    let last = '';
    let reading: Promise<void> | undefined;
    let again = false;
    let closed = false;

    const send = (doc: { status: Parameters<typeof isOpen>[0] }) => {
      const text = JSON.stringify(doc);
      if (text === last) return;
      last = text;
      out.write(`event: status\ndata: ${text}\n\n`);
      if (!isOpen(doc.status)) close();
    };
    // One read at a time; announcements arriving meanwhile are folded into one more read.
    const refresh = () => {
      if (closed) return;
      if (reading) {
        again = true;
        return;
      }
      reading = this.status
        .forOwner(userId, withdrawalId)
        .then(send, () => undefined) // Postgres away: the next heartbeat looks again
        .finally(() => {
          reading = undefined;
          if (again && !closed) {
            again = false;
            refresh();
          }
        });
    };
    const heartbeat = setInterval(() => {
      out.write(': keep-alive\n\n');
      refresh();
    }, this.config.sseHeartbeatMs);
    const unwatch = this.feed.watch(withdrawalId, refresh);
    const close = () => {
      if (closed) return;
      closed = true;
      this.closers.delete(close);
      clearInterval(heartbeat);
      unwatch();
      const left = (this.openStreams.get(userId) ?? 1) - 1;
      if (left > 0) this.openStreams.set(userId, left);
      else this.openStreams.delete(userId);
      out.end();
    };
    out.on('close', close);
    this.closers.add(close);
    send(first);
    // A change committed between the first read and the watch would otherwise wait for the heartbeat.
    refresh();
  }

  beforeApplicationShutdown(): void {
    for (const close of [...this.closers]) close();
  }
}
