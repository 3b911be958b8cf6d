import { Transactions } from '@app/database';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { VerdictClient } from '../http/verdict-client';
import { WithdrawalChangeFeed } from './withdrawal-change-feed';
import { WithdrawalStatusDocument } from './withdrawal.dto';

export interface CachedDocument {
  ownerId: string;
  /** The document as sent, serialized once: not on every poll, and kept smaller than the object. */
  json: string;
  etag: string;
  storedAt: number;
}

const etagOfJson = (json: string) => `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;

/** Entries kept; the least recently used go first. */
const MAX_ENTRIES = 20_000;
/** Ids of recent changes remembered, to refuse storing a document read before one of them. */
const MAX_CHANGES = 50_000;
/**
 * How long an entry is trusted without a change message: a message lost (a publisher that crashed between
 * its commit and its publish) costs at most this much staleness, as it costs the event streams their next look.
 */
export const STATUS_CACHE_TTL_MS = 5_000;

/**
 * Status documents as last read from Postgres, by withdrawal id, so that a poll (200, or 304 to its ETag)
 * needs no query: every change of a withdrawal evicts it, whichever app made it — this instance's own
 * commits and the changes of the verdicts it relays at once (a customer who was answered sees what they
 * did on their next poll), the others' through the change feed. Used only while the feed is live; an entry serves
 * only the owner it was read for (anyone else goes to Postgres, and is not found there).
 */
@Injectable()
export class StatusDocumentCache implements OnModuleInit {
  private readonly entries = new Map<string, CachedDocument>();
  /** Withdrawal id → the change counter's value at its last change. */
  private readonly changedAt = new Map<string, number>();
  private changes = 0;
  /** Changes up to this count are forgotten (or unknown, after a gap in the feed): reads begun before it are not stored. */
  private forgottenUpTo = 0;

  constructor(
    private readonly feed: WithdrawalChangeFeed,
    private readonly transactions: Transactions,
    private readonly verdicts: VerdictClient,
  ) {}

  onModuleInit(): void {
    this.feed.onEveryChange((id) => this.evict(id));
    this.feed.onGap(() => this.clear());
    this.transactions.afterCommit((ids) => ids.forEach((id) => this.evict(id)));
    // What the confirmation service changed for a request relayed here, before that request is answered.
    this.verdicts.afterVerdict((ids) => ids.forEach((id) => this.evict(id)));
  }

  /** A mark to give store(): documents read after it are stored only if their withdrawal did not change since. */
  mark(): number {
    return this.changes;
  }

  get(id: string, ownerId: string, now = Date.now()): CachedDocument | undefined {
    if (!this.feed.live) return undefined;
    const entry = this.entries.get(id);
    if (!entry || entry.ownerId !== ownerId) return undefined;
    if (now - entry.storedAt > STATUS_CACHE_TTL_MS) {
      this.entries.delete(id);
      return undefined;
    }
    // Most recently used last: the first entry is the one to drop.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry;
  }

  store(id: string, ownerId: string, doc: WithdrawalStatusDocument, mark: number): CachedDocument {
    const json = JSON.stringify(doc);
    const entry = { ownerId, json, etag: etagOfJson(json), storedAt: Date.now() };
    const changed = this.changedAt.get(id);
    if (!this.feed.live || mark < this.forgottenUpTo || (changed !== undefined && changed > mark)) return entry;
    this.entries.delete(id);
    this.entries.set(id, entry);
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  private evict(id: string): void {
    this.changes++;
    this.entries.delete(id);
    this.changedAt.delete(id);
    this.changedAt.set(id, this.changes);
    if (this.changedAt.size > MAX_CHANGES) {
      const [oldest, at] = this.changedAt.entries().next().value!;
      this.changedAt.delete(oldest);
      this.forgottenUpTo = at;
    }
  }

  /** Changes may have been missed (the feed was down): nothing cached is trusted, nothing read before is stored. */
  private clear(): void {
    this.changes++;
    this.forgottenUpTo = this.changes;
    this.entries.clear();
    this.changedAt.clear();
  }
}
