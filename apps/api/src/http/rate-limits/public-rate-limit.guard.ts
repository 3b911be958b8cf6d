import { Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { ExecutionContext } from '@nestjs/common';
import { Problem } from '../problem';

/** The throttler's verdict as a problem document with the contract's `rate_limited` code. */
@Injectable()
export class PublicRateLimitGuard extends ThrottlerGuard {
  protected throwThrottlingException(_: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    return Promise.reject(
      new Problem('rate_limited', 'too many requests from this address; try again shortly', {
        'retry-after': String(Math.max(1, detail.timeToBlockExpire)),
      }),
    );
  }
}
