import { hashToken, newToken } from '@app/crypto';
import { DeliveryClaim, Transactions } from '@app/database';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

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
  /** In the claiming transaction: the message's context and its locked delivery record, or undefined when it is no longer wanted. */
  lock(m: EntityManager): Promise<{ context: C; delivery: DeliveryClaim } | undefined>;
  claim(m: EntityManager, id: string, tokenHash: Buffer): Promise<void>;
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
  constructor(private readonly transactions: Transactions) {}

  async send<C>(store: TokenDeliveryStore<C>, deliver: (context: C, token: string) => Promise<boolean>): Promise<DeliveryOutcome> {
    const claimed = await this.transactions.run(async (m) => {
      const locked = await store.lock(m);
      if (!locked) return undefined;
      const { delivery } = locked;
      if (delivery.sentAt) return { ...locked, token: undefined };
      // A duplicate of this job is delivering this very message right now: let it finish, look again later.
      if (delivery.leased) throw new DeliveryInProgress(`delivery ${delivery.id} is in progress elsewhere`);
      const token = newToken();
      await store.claim(m, delivery.id, hashToken(token));
      return { ...locked, token };
    });
    if (!claimed) return 'closed';
    if (!claimed.token) return 'already_sent';
    let delivered: boolean;
    try {
      delivered = await deliver(claimed.context, claimed.token);
    } catch (error) {
      // Release the claim so that this job's own retry delivers at once; after a crash the lease runs out instead.
      await store.releaseClaim(claimed.delivery.id);
      throw error;
    }
    if (!delivered) return 'not_sent';
    await store.sent(claimed.delivery.id, claimed.context);
    return 'sent';
  }
}
