import { applyDecorators, ExecutionContext, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { ThrottlerRequest } from '@nestjs/throttler/dist/throttler.guard.interface';
import { createHash } from 'node:crypto';
import { Problem } from '../problem';

/**
 * The limits (named throttlers, all counted in Redis across API instances):
 * - `public`: per client address, on the token-bearing public paths;
 * - `customer-writes`: per customer, on every authenticated write (so a stolen session cannot flood);
 * - `email-changes`: per customer, on email changes (each one mails a third party's address).
 */
export type RateLimitName = 'public' | 'customer-writes' | 'email-changes';

const RATE_LIMITS = 'countersign:rate-limits';

/** Which limits apply to a route or controller; others configured in the module do not. */
export const RateLimit = (...names: RateLimitName[]) => SetMetadata(RATE_LIMITS, names);

const PER_CUSTOMER: ReadonlySet<string> = new Set<RateLimitName>(['customer-writes', 'email-changes']);

/**
 * @nestjs/throttler, applying only the limits a route names (@RateLimit), each tracked by what it limits:
 * the client address or the authenticated customer (put this guard after BearerGuard). An exceeded limit
 * is the contract's `rate_limited` problem with Retry-After.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const names =
      this.reflector.getAllAndOverride<RateLimitName[] | undefined>(RATE_LIMITS, [request.context.getHandler(), request.context.getClass()]) ?? [];
    if (!names.includes(request.throttler.name as RateLimitName)) return true;
    if (PER_CUSTOMER.has(request.throttler.name!)) {
      const caller = request.context.switchToHttp().getRequest<{ caller?: { id: string } }>().caller;
      // Never one bucket for everyone: a per-customer limit on a route without its customer is refused.
      if (!caller) throw new Problem('unauthorized', 'a valid bearer token is required');
      // Keyed by a hash: a customer id may hold anything, and a Redis key need not show it.
      return super.handleRequest({
        ...request,
        getTracker: () => Promise.resolve(`customer:${createHash('sha256').update(caller.id).digest('base64url')}`),
      });
    }
    return super.handleRequest(request);
  }

  /** A customer's writes share one budget whichever route they go to (Nest's default counts per route). */
  protected generateKey(context: ExecutionContext, suffix: string, name: string): string {
    return PER_CUSTOMER.has(name) ? `${name}:${suffix}` : super.generateKey(context, suffix, name);
  }

  protected throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const perCustomer = detail.tracker.startsWith('customer:');
    return Promise.reject(
      new Problem(
        'rate_limited',
        perCustomer ? 'too many changes for this account; try again later' : 'too many requests from this address; try again shortly',
        {
          'retry-after': String(Math.max(1, detail.timeToBlockExpire)),
        },
      ),
    );
  }
}

/**
 * An authenticated write: counted per customer. BearerGuard must run first: as a class guard it does; on a
 * route that has its own @UseGuards(BearerGuard), put this decorator above it.
 */
export const CustomerWrite = (...more: Exclude<RateLimitName, 'public' | 'customer-writes'>[]) =>
  applyDecorators(RateLimit('customer-writes', ...more), UseGuards(RateLimitGuard));
