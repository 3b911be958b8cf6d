import { Body, Controller, Get, HttpCode, Param, Post, Res, UseGuards } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { FastifyReply } from 'fastify';
import { htmlPage, HtmlPage, markup, outcome } from '../http/html-page';
import { Problem } from '../http/problem';
import { RateLimit, RateLimitGuard } from '../http/rate-limits/rate-limit.guard';
import { VerdictClient } from '../http/verdict-client';
import { AntiPhishingCodesService } from './anti-phishing-codes.service';

export class SecurityNoticeReportDto {
  @ApiProperty({ description: "the token of a security notice's 'this wasn't me' link" }) @IsString() @Length(16, 200) token: string;
}

/**
 * "This wasn't me", from a security notice (a factor change announced on the old channels). The token is
 * the credential: no bearer. Opening the page changes nothing; the form (no script needed) or the JSON
 * endpoint reports the change, which freezes the account's withdrawals.
 */
@ApiTags('customer: security setup')
@RateLimit('public')
@UseGuards(RateLimitGuard)
@Controller()
export class SecurityNoticesController {
  constructor(
    private readonly verdicts: VerdictClient,
    private readonly antiPhishingCodes: AntiPhishingCodesService,
  ) {}

  @Post('v1/security-notices')
  @HttpCode(204)
  async report(@Body() body: SecurityNoticeReportDto): Promise<void> {
    await this.verdicts.ask('report-security-change', {}, { token: body.token });
  }

  @Get('security-notice/:token')
  @HtmlPage()
  async page(@Param('token') token: string): Promise<string> {
    const antiPhishingCode = await this.antiPhishingCodes.forNoticeLink(token);
    return htmlPage(
      'Was this change yours?',
      markup`<section class="card">
<h1>Was this change yours?</h1>
<p>We told you about a change to the security settings of your account.</p>
<p>If you did not make it, say so: withdrawals on your account will be frozen at once, and our operators will contact you.</p>
<form method="post" action="/security-notice/${encodeURIComponent(token)}">
<button type="submit" class="danger" name="report" value="not-me">This wasn't me</button>
</form>
<p>If the change was yours, you can close this page.</p>
</section>`,
      { antiPhishingCode },
    );
  }

  @Post('security-notice/:token')
  @HtmlPage()
  async reportFromPage(@Param('token') token: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const antiPhishingCode = await this.antiPhishingCodes.forNoticeLink(token);
    try {
      await this.verdicts.ask('report-security-change', {}, { token });
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      reply.status(error.getStatus());
      return htmlPage('This link is no longer valid', outcome('info', 'This link is no longer valid', [error.detail ?? 'It was used already.']), {
        antiPhishingCode,
      });
    }
    return htmlPage(
      'Withdrawals on your account are frozen',
      outcome('stop', 'Withdrawals on your account are frozen', ['Thank you. Our operators have been alerted and will contact you.']),
      { antiPhishingCode },
    );
  }
}
