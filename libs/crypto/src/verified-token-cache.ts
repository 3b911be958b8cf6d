import type { Caller } from './jwt-verifier';

/**
 * Customers' bearer tokens already verified, kept until their `exp`: a frontend polls with the same token
 * many times a second, and checking its ES256 signature again each time was the largest single cost of a
 * poll. Only what a successful verification returned is kept (a forged or expired token never enters), the
 * entry ends at the token's own `exp` (no token is trusted a moment longer than without the cache), and
 * operators' tokens are never kept: their actions are checked again, single use, by the confirmation service.
 * Bounded: past `capacity` the oldest entry goes first.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { caller: Caller; expiresAtMs: number }>();

  constructor(
    private readonly capacity = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(token: string): Caller | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (this.now() >= entry.expiresAtMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.caller;
  }

  /** `exp` in seconds, as in the token. */
  remember(token: string, caller: Caller, exp: number): void {
    if (caller.roles.includes('operator')) return;
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    // Frozen: one entry answers many requests, none of which may change what the next one sees.
    this.entries.set(token, { caller: Object.freeze({ ...caller, roles: Object.freeze([...caller.roles]) as string[] }), expiresAtMs: exp * 1000 });
  }

  get size(): number {
    return this.entries.size;
  }
}
