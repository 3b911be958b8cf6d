import { JwtVerifier } from '@app/crypto';
import { Global, Module } from '@nestjs/common';
import { BearerGuard } from './bearer.guard';
import { RateLimitModule } from './rate-limits/rate-limit.module';
import { VerdictClient } from './verdict-client';

/** What every feature's controllers share: bearer authentication, rate limits, and the verdict relay. */
@Global()
@Module({
  imports: [RateLimitModule],
  providers: [JwtVerifier, BearerGuard, VerdictClient],
  exports: [JwtVerifier, BearerGuard, VerdictClient, RateLimitModule],
})
export class HttpModule {}
