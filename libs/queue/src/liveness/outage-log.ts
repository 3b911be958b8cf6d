import { Logger } from '@nestjs/common';

/** What an error says about its cause without its message text: a system or SQLSTATE code, else its class. */
export function failureReason(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code) return code;
  return error instanceof Error ? error.constructor.name : typeof error;
}

/**
 * A dependency's outage in the log: one line when it starts and one when it ends, however many requests,
 * probes or beats fail in between (a Redis or Postgres outage must not bury the log under one stack per
 * request).
 */
export class OutageLog {
  private downSince?: number;

  constructor(
    private readonly logger: Logger,
    /** The dependency's name as the log shows it: `postgres`, `redis`. */
    readonly dependency: string,
  ) {}

  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** Notes a failure; logs only the first of an outage. Returns whether this one started the outage. */
  failed(error: unknown, context = ''): boolean {
    if (this.downSince !== undefined) return false;
    this.downSince = Date.now();
    this.logger.warn(`${this.dependency} is unreachable (${failureReason(error)})${context ? `: ${context}` : ''}`);
    return true;
  }

  /** Notes a success; logs the end of an outage, if there was one. */
  recovered(): void {
    if (this.downSince === undefined) return;
    const seconds = ((Date.now() - this.downSince) / 1000).toFixed(1);
    this.downSince = undefined;
    this.logger.log(`${this.dependency} is reachable again after ${seconds} s`);
  }
}
