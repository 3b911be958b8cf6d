import { JwtVerifier } from '@app/crypto';
import { Global, Module } from '@nestjs/common';
import { AssetsController } from './assets.controller';
import { BearerGuard } from './bearer.guard';
import { HtmlProblemFilter } from './html-problem.filter';
import { ProblemFilter } from './problem.filter';
import { RateLimitModule } from './rate-limits/rate-limit.module';
import { VerdictClient } from './verdict-client';

/** What every feature's controllers share: bearer authentication, rate limits, the verdict relay, the problem filters, the pages' assets. */
@Global()
@Module({
  imports: [RateLimitModule],
  controllers: [AssetsController],
  providers: [JwtVerifier, BearerGuard, VerdictClient, ProblemFilter, HtmlProblemFilter],
  exports: [JwtVerifier, BearerGuard, VerdictClient, ProblemFilter, RateLimitModule],
})
export class HttpModule {}
