import { hashToken, newToken } from '@app/crypto';
import { DeliveryTake } from '@app/database';
import { Injectable } from '@nestjs/common';

/** How long one delivery attempt owns a message; a duplicate job waits this out (by retrying) before taking over. */
export const DELIVERY_LEASE_SECONDS = 30;

/** Beyond a push's own bound, the time to record it as sent. */
const PUSH_LEASE_MARGIN_MS = 5_000;

/**
 * The lease of one delivery attempt on a channel. A push is one request under one abort signal, so it never
 * outlasts PUSH_TIMEOUT: its lease is that and a margin (15 s by default), and a push cut short by a crash
 * goes out again that much sooner. An email may wait for a pooled connection before its own timeouts start,
 * so its lease stays DELIVERY_LEASE_SECONDS.
 */
export function deliveryLeaseSeconds(channel: 'email' | 'push', delivery: { pushTimeoutMs: number }): number {
  return channel === 'push' ? Math.ceil((delivery.pushTimeoutMs + PUSH_LEASE_MARGIN_MS) / 1000) : DELIVERY_LEASE_SECONDS;
}

/** Thrown to a duplicate job while another delivers the same message; BullMQ retries it with backoff. */
export class DeliveryInProgress extends Error {}

export type DeliveryOutcome = 'sent' | 'already_sent' | 'closed' | 'not_sent';

/** Where a message with a single-use link is recorded: challenges, security-notice deliveries. */
export interface TokenDeliveryStore<C> {
  /**
   * In one statement, atomic by itself: the message's context and its delivery record, taken with `tokenHash`
   * unless it was sent or another attempt holds its lease; undefined when the message is no longer wanted.
   */
  take(tokenHash: Buffer): Promise<{ context: C; delivery: DeliveryTake } | undefined>;
  releaseClaim(id: string): Promise<void>;
  /** Marks it sent and audits it, in one statement (atomic by itself). */
  sent(id: string, context: C): Promise<void>;
}

/**
 * Sends a message that carries a single-use link, once, however often its job is delivered: the link's
 * token is made here, kept in memory for the one message, and only its hash stored — committed before the
 * message leaves, so a customer who acts at once finds it. A lease keeps duplicates from sending twice; a
 * redelivery after the message went out changes nothing.
 */
@Injectable()
export class LeasedDelivery {
  async send<C>(store: TokenDeliveryStore<C>, deliver: (context: C, token: string) => Promise<boolean>): Promise<DeliveryOutcome> {
    const token = newToken();
    const taken = await store.take(hashToken(token));
    if (!taken) return 'closed';
    return this.sendTaken(store, taken, token, deliver);
  }

  /** The same, for a record a statement of the caller's already took with `token`'s hash (a fan-out's pushes). */
  async sendTaken<C>(
    store: Omit<TokenDeliveryStore<C>, 'take'>,
    { context, delivery }: { context: C; delivery: DeliveryTake },
    token: string,
    deliver: (context: C, token: string) => Promise<boolean>,
  ): Promise<Exclude<DeliveryOutcome, 'closed'>> {
    if (delivery.sentAt) return 'already_sent';
    // A duplicate of this job is delivering this very message right now: let it finish, look again later.
    if (!delivery.claimed) throw new DeliveryInProgress(`delivery ${delivery.id} is in progress elsewhere`);
    let delivered: boolean;
    try {
      delivered = await deliver(context, token);
    } catch (error) {
      // Release the claim so that this job's own retry delivers at once; after a crash the lease runs out instead.
      await store.releaseClaim(delivery.id);
      throw error;
    }
    if (!delivered) return 'not_sent';
    await store.sent(delivery.id, context);
    return 'sent';
  }
}
