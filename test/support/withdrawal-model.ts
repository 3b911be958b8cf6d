/**
 * A deliberately simple, in-memory model of what a customer should observe: balances (available and
 * held) per customer and each withdrawal's status and factors, with the HTTP answer each request should
 * get — written from shared/API.md and DESIGN.md, independent of the implementation. Amounts are integer
 * hundredths. No I/O: the randomized test drives the real suite and this model side by side.
 *
 * The rules it encodes: a hold is placed when a withdrawal is accepted (never beyond the available
 * balance); three approvals post it; a denial, a wrong match-code pick at the limit, a TOTP factor locked
 * by wrong codes, a cancellation or the expiry void it; "this wasn't me" also freezes the account, which
 * stops its other open withdrawals and refuses new ones; a token works once, a TOTP step once per customer.
 */

export type Factor = 'email' | 'push' | 'totp';
export type TokenFactor = 'email' | 'push';
export type WithdrawalStatus = 'pending_confirmation' | 'posted' | 'denied' | 'expired' | 'cancelled';
export type FactorStatus = 'pending' | 'approved' | 'denied' | 'locked' | 'expired';

// Policy numbers (configuration, not behaviour) are taken from the service so that a change of policy
// does not need a change of model.
import { WRONG_MATCH_PICKS_LIMIT } from '../../apps/confirmation-service/src/tokens/decide-token';
import { TOTP_FAILURES_PER_USER, TOTP_FAILURES_PER_WITHDRAWAL } from '../../apps/confirmation-service/src/totp/totp-policy';

export interface ModelWithdrawal {
  customer: number;
  key: string;
  amount: number;
  status: WithdrawalStatus;
  factors: Record<Factor, FactorStatus>;
  /** Whether the email / push challenge token has been used up. */
  consumed: Record<TokenFactor, boolean>;
  wrongPicks: Record<TokenFactor, number>;
  totpFailures: number;
  /** The confirmation window has closed (the test moved the clock), whether or not anything noticed yet. */
  pastExpiry: boolean;
}

export interface ModelCustomer {
  credits: number;
  posted: number;
  held: number;
  hasAccount: boolean;
  /** Withdrawals frozen by a "this wasn't me" denial. */
  frozen: boolean;
  /** Authenticator codes whose time step has been consumed. */
  usedCodes: string[];
  totpFailures: number;
  deposits: Record<string, number>;
}

export interface ModelState {
  customers: ModelCustomer[];
  withdrawals: ModelWithdrawal[];
}

export function formatUnits(units: number): string {
  return (units / 100).toFixed(2).replace(/\.?0+$/, '');
}

export class WithdrawalModel {
  constructor(public state: ModelState = { customers: [], withdrawals: [] }) {}

  clone(): WithdrawalModel {
    return new WithdrawalModel(structuredClone(this.state));
  }

  addCustomer(): number {
    this.state.customers.push({ credits: 0, posted: 0, held: 0, hasAccount: false, frozen: false, usedCodes: [], totpFailures: 0, deposits: {} });
    return this.state.customers.length - 1;
  }

  available(c: number): number {
    const k = this.state.customers[c];
    return k.credits - k.posted - k.held;
  }

  /** GET /v1/me/balances as the model expects it. */
  balances(c: number): { asset: string; available: string; held: string }[] {
    const k = this.state.customers[c];
    return k.hasAccount ? [{ asset: 'BTC', available: formatUnits(this.available(c)), held: formatUnits(k.held) }] : [];
  }

  /** POST /v1/admin/deposits: once per reference. */
  deposit(c: number, reference: string, amount: number): string {
    const k = this.state.customers[c];
    const previous = k.deposits[reference];
    if (previous !== undefined) return previous === amount ? '200' : '422 idempotency_conflict';
    k.deposits[reference] = amount;
    k.credits += amount;
    k.hasAccount = true;
    return '201';
  }

  /** POST /v1/withdrawals with an Idempotency-Key: the answer, and the withdrawal's index when one exists. */
  request(c: number, key: string, amount: number): { answer: string; index?: number } {
    const index = this.state.withdrawals.findIndex((w) => w.customer === c && w.key === key);
    if (index >= 0) {
      const w = this.state.withdrawals[index];
      return w.amount === amount ? { answer: `202 ${w.status}`, index } : { answer: '422 idempotency_conflict' };
    }
    if (this.state.customers[c].frozen) return { answer: '423 account_frozen' };
    if (this.available(c) < amount) return { answer: '422 insufficient_funds' };
    this.state.customers[c].held += amount;
    this.state.withdrawals.push({
      customer: c,
      key,
      amount,
      status: 'pending_confirmation',
      factors: { email: 'pending', push: 'pending', totp: 'pending' },
      consumed: { email: false, push: false },
      wrongPicks: { email: 0, push: 0 },
      totpFailures: 0,
      pastExpiry: false,
    });
    return { answer: '202 pending_confirmation', index: this.state.withdrawals.length - 1 };
  }

  /** POST /v1/confirmations with the email or push token; `rightCode` is whether the match code picked is the one shown. */
  decide(i: number, factor: TokenFactor, decision: 'approve' | 'deny', rightCode: boolean): string {
    const w = this.state.withdrawals[i];
    if (w.consumed[factor] || w.status !== 'pending_confirmation') return '410 token_invalid';
    if (w.pastExpiry) {
      this.finish(i, 'expired');
      return '410 token_invalid';
    }
    if (decision === 'deny') {
      // Deny wins, and "this wasn't me" freezes the account: its other open withdrawals stop too.
      w.consumed[factor] = true;
      w.factors[factor] = 'denied';
      this.finish(i, 'denied');
      this.state.customers[w.customer].frozen = true;
      for (const [j, other] of this.state.withdrawals.entries()) {
        if (other.customer === w.customer && other.status === 'pending_confirmation') this.finish(j, 'denied');
      }
      return `200 ${factor}:denied`;
    }
    if (w.factors[factor] !== 'pending') return '410 token_invalid';
    if (!rightCode) {
      w.wrongPicks[factor]++;
      if (w.wrongPicks[factor] >= WRONG_MATCH_PICKS_LIMIT) {
        w.consumed[factor] = true;
        w.factors[factor] = 'denied';
        this.finish(i, 'denied');
      }
      return '422 match_code_wrong';
    }
    w.consumed[factor] = true;
    w.factors[factor] = 'approved';
    this.evaluate(i);
    return `200 ${factor}:approved`;
  }

  /** POST /v1/withdrawals/:id/totp with `code`; `valid` is whether the code belongs to the ±1 step window. */
  totp(i: number, code: string, valid: boolean): string {
    const w = this.state.withdrawals[i];
    const k = this.state.customers[w.customer];
    if (w.factors.totp === 'locked') return '423 too_many_attempts'; // stays the answer once locked
    if (w.status !== 'pending_confirmation') return '409 withdrawal_not_pending';
    if (w.pastExpiry) {
      this.finish(i, 'expired');
      return '409 withdrawal_not_pending';
    }
    if (k.totpFailures >= TOTP_FAILURES_PER_USER) return '423 too_many_attempts';
    if (valid && k.usedCodes.includes(code)) return '422 code_reused';
    if (valid) {
      k.usedCodes.push(code);
      if (w.factors.totp === 'pending') {
        w.factors.totp = 'approved';
        this.evaluate(i);
      }
      return `200 ${w.status}`;
    }
    k.totpFailures++;
    w.totpFailures++;
    if (w.totpFailures >= TOTP_FAILURES_PER_WITHDRAWAL && w.factors.totp === 'pending') {
      w.factors.totp = 'locked';
      this.finish(i, 'denied');
      return '423 too_many_attempts';
    }
    return k.totpFailures >= TOTP_FAILURES_PER_USER ? '423 too_many_attempts' : '422 invalid_code';
  }

  /** POST /v1/withdrawals/:id/cancel. */
  cancel(i: number): string {
    const w = this.state.withdrawals[i];
    if (w.status !== 'pending_confirmation') return '409 withdrawal_not_pending';
    this.finish(i, 'cancelled');
    return '200 cancelled';
  }

  /** The clock passes the withdrawal's expiry. */
  passExpiry(i: number): void {
    if (this.state.withdrawals[i].status === 'pending_confirmation') this.state.withdrawals[i].pastExpiry = true;
  }

  /** The expiry job or the sweeper looks at the withdrawal. */
  expire(i: number): boolean {
    const w = this.state.withdrawals[i];
    if (w.status !== 'pending_confirmation' || !w.pastExpiry) return false;
    this.finish(i, 'expired');
    return true;
  }

  /** Statuses after which the customer is told by email. */
  static mailsOutcome(status: WithdrawalStatus): boolean {
    return status === 'posted' || status === 'denied' || status === 'expired';
  }

  private evaluate(i: number): void {
    const w = this.state.withdrawals[i];
    if (Object.values(w.factors).every((f) => f === 'approved')) {
      const k = this.state.customers[w.customer];
      if (k.frozen) {
        this.finish(i, 'denied'); // a frozen account posts nothing
        return;
      }
      k.held -= w.amount;
      k.posted += w.amount;
      w.status = 'posted';
    }
  }

  private finish(i: number, status: Exclude<WithdrawalStatus, 'pending_confirmation' | 'posted'>): void {
    const w = this.state.withdrawals[i];
    w.status = status;
    if (status === 'expired') for (const f of ['email', 'push', 'totp'] as Factor[]) if (w.factors[f] === 'pending') w.factors[f] = 'expired';
    this.state.customers[w.customer].held -= w.amount;
  }
}

/** mulberry32: a tiny deterministic PRNG; the same seed gives the same sequence everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Random {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed * 2654435761);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  weighted<T>(entries: [T, number][]): T {
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [value, weight] of entries) {
      if ((r -= weight) < 0) return value;
    }
    return entries[entries.length - 1][0];
  }
}
