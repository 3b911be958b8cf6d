import { APP_CONFIG, AppConfig } from '@app/config';
import { durationInWords } from '@app/domain';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConsumes, ApiGoneResponse, ApiOkResponse, ApiProduces, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { FastifyReply } from 'fastify';
import { HtmlPage, htmlPage, markup, outcome } from '../http/html-page';
import { HtmlProblemFilter } from '../http/html-problem.filter';
import { Problem } from '../http/problem';
import { RateLimit, RateLimitGuard } from '../http/rate-limits/rate-limit.guard';
import { EmailVerificationService } from './email-verification.service';
import { EmailVerificationDto } from './security.dto';
import { AntiPhishingCodesService } from './anti-phishing-codes.service';

/** The page's form: its one button, so that a bare POST to the link (a scanner's) verifies nothing. */
export class EmailVerificationFormDto {
  @ApiProperty({ enum: ['yes'] }) @IsIn(['yes']) verify: 'yes';
}

/** The token is the credential: no bearer. Opening the page changes nothing; only a POST verifies. */
@ApiTags('customer: security setup')
@RateLimit('public')
@UseGuards(RateLimitGuard)
@Controller()
export class EmailVerificationController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly verifications: EmailVerificationService,
    private readonly antiPhishingCodes: AntiPhishingCodesService,
  ) {}

  @Post('v1/email-verifications')
  @HttpCode(204)
  async verify(@Body() body: EmailVerificationDto): Promise<void> {
    await this.verifications.verify(body.token);
  }

  @Get('verify-email/:token')
  @HtmlPage()
  @UseFilters(HtmlProblemFilter)
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'A page with one button that verifies the address; opening it changes nothing.' })
  async page(@Param('token') token: string): Promise<string> {
    const antiPhishingCode = await this.antiPhishingCodes.forVerificationLink(token);
    return htmlPage(
      'Verify your email address',
      markup`<section class="card" aria-labelledby="verify">
<h1 id="verify">Verify your email address</h1>
<p>Withdrawal confirmations will be sent to the address this link came to. Press the button to confirm that it is yours.</p>
</section>
<div id="result" role="status" tabindex="-1"></div>
<form class="card" method="post" action="/verify-email/${token}#result" data-enhance>
<div class="actions">
<button type="submit" name="verify" value="yes" id="verify-address" class="primary">Verify this address</button>
<p class="or">Did not ask for this? Close this page: nothing changes unless you press the button.</p>
</div>
</form>`,
      { antiPhishingCode },
    );
  }

  @Post('verify-email/:token')
  @HttpCode(200)
  @HtmlPage()
  @UseFilters(HtmlProblemFilter)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'Verified (the same as POST /v1/email-verifications).' })
  @ApiBadRequestResponse({ description: 'Not sent by the page’s button: nothing changed.' })
  @ApiGoneResponse({ description: 'The link was used, replaced by a newer one, or expired.' })
  async verifyByForm(
    @Param('token') token: string,
    @Body() form: EmailVerificationFormDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    if (form?.verify !== 'yes') throw new Problem('validation_failed', 'press the button on the page');
    const antiPhishingCode = await this.antiPhishingCodes.forVerificationLink(token);
    try {
      await this.verifications.verify(token);
    } catch (error) {
      if (!(error instanceof Problem) || error.code !== 'token_invalid') throw error;
      reply.status(410);
      const heading = 'This link is no longer valid';
      return htmlPage(
        heading,
        outcome('info', heading, [
          'It was used already, it expired, or a newer link was sent since.',
          'If your address is still not verified, ask for a new link in your exchange account.',
        ]),
        { antiPhishingCode },
      );
    }
    const lock = this.config.securityChangeLockMs;
    return htmlPage(
      'Email address verified',
      outcome('ok', 'Email address verified', [
        'Withdrawal confirmations will be sent to this address from now on.',
        ...(lock > 0 ? [`For your safety, withdrawals are paused for ${durationInWords(lock)} after a change like this.`] : []),
      ]),
      { antiPhishingCode },
    );
  }
}
