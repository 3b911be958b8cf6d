import { Injectable } from '@nestjs/common';

/**
 * The time the risk controls count by (their Redis windows, the velocity window). The wall clock, unless
 * a test sets or advances it to show a window's boundary without waiting for it.
 */
@Injectable()
export class RiskClock {
  private fixed: number | undefined;
  private offsetMs = 0;

  now(): number {
    return this.fixed ?? Date.now() + this.offsetMs;
  }

  /** From now on, `at` (ms since the epoch) until reset. */
  set(at: number): void {
    this.fixed = at;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  reset(): void {
    this.fixed = undefined;
    this.offsetMs = 0;
  }
}
