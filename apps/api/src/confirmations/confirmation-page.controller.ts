import { APP_CONFIG, AppConfig } from '@app/config';
import { Decision } from '@app/domain';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Res, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConsumes,
  ApiGoneResponse,
  ApiOkResponse,
  ApiProduces,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PasskeyAssertionJson } from '@app/queue';
import { FastifyReply } from 'fastify';
import { HtmlPage } from '../http/html-page';
import { HtmlProblemFilter } from '../http/html-problem.filter';
import { Problem } from '../http/problem';
import { RateLimit, RateLimitGuard } from '../http/rate-limits/rate-limit.guard';
import { ConfirmationPageService } from './confirmation-page.service';
import { approvedPage, confirmationPage, linkStatePage, passkeyRefusedPage, shown, stoppedPage, wrongCodePage } from './confirmation-views';
import { ConfirmationsService } from './confirmations.service';

/** The page's form, sent as a browser sends it (application/x-www-form-urlencoded): the pressed button and the pick. */
export class ConfirmationFormDto {
  @ApiProperty({ enum: ['approve', 'deny'] }) @IsIn(['approve', 'deny']) decision: Decision;
  @ApiPropertyOptional({ example: '47' }) @IsOptional() @IsString() @Matches(/^[0-9]{2}$/) matchCode?: string;
  @ApiPropertyOptional({ description: "the browser's WebAuthn assertion, JSON text (the page's script puts it here)" })
  @IsOptional()
  @IsString()
  @MaxLength(16_000)
  passkey?: string;
}

/**
 * The page a customer opens from the email or the push. Opening it (GET or HEAD, by a person or a mail
 * scanner) changes nothing and uses nothing up. Its form posts back here, and works without script: the
 * decision is relayed exactly as POST /v1/confirmations relays it (the confirmation service decides) and
 * answered with a page. Every error here is a page too, never JSON.
 */
@ApiTags('customer: out-of-band confirmation')
@RateLimit('public')
@UseGuards(RateLimitGuard)
@UseFilters(HtmlProblemFilter)
@Controller('confirm')
export class ConfirmationPageController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly pages: ConfirmationPageService,
    private readonly confirmations: ConfirmationsService,
  ) {}

  @Get(':token')
  @HtmlPage()
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The withdrawal, the match-code choice, Approve and "This wasn\'t me". Changes nothing.' })
  @ApiGoneResponse({ description: 'The link was used, its withdrawal is no longer waiting, or it matches nothing; the page says which.' })
  async page(@Param('token') token: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const [{ state, page }, extras] = await Promise.all([this.pages.open(token), this.pages.extras(token)]);
    if (state !== 'usable' || !page) {
      reply.status(410);
      return linkStatePage(state === 'usable' ? 'unknown' : state, extras.antiPhishingCode);
    }
    return confirmationPage(token, page, { numberMatching: this.config.numberMatching, ...extras });
  }

  @Post(':token')
  @HttpCode(200)
  @HtmlPage()
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'Approved, or stopped ("This wasn\'t me").' })
  @ApiBadRequestResponse({ description: 'No decision in the form: nothing changed.' })
  @ApiUnprocessableEntityResponse({
    description: 'Approve without a pick (the form again, nothing changed) or with a wrong one (the withdrawal is stopped).',
  })
  @ApiGoneResponse({ description: 'The link can no longer be used; the page says why.' })
  async decide(@Param('token') token: string, @Body() form: ConfirmationFormDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (!form?.decision) throw new Problem('validation_failed', 'decision is required');
    const [before, extras] = await Promise.all([this.pages.open(token), this.pages.extras(token)]);
    const facts = before.page && shown(before.page);
    const code = extras.antiPhishingCode;
    try {
      const result = await this.confirmations.decide(token, form.decision, form.matchCode, passkeyOf(form.passkey));
      return result.status === 'approved' ? approvedPage(result.factor, facts, code) : stoppedPage(facts, code);
    } catch (error) {
      const handled = ['match_code_wrong', 'token_invalid', 'passkey_required', 'passkey_invalid'];
      if (!(error instanceof Problem) || !handled.includes(error.code)) throw error;
      reply.status(error.getStatus());
      if (error.code === 'passkey_invalid') return passkeyRefusedPage(facts, code);
      const now = await this.pages.open(token);
      if (error.code === 'passkey_required' && now.state === 'usable' && now.page) {
        const notice = { heading: 'Approve with your passkey.', text: 'This withdrawal is approved only with your passkey. Nothing was changed.' };
        return confirmationPage(token, now.page, { numberMatching: this.config.numberMatching, notice, ...extras });
      }
      if (error.code === 'match_code_wrong' && now.state === 'usable' && now.page) {
        // Refused without using the link up (no pick, or a wrong pick with tries left): the form again.
        const notice = form.matchCode
          ? { heading: 'That is not the number your app shows.', text: error.detail ?? '' }
          : { heading: 'Pick a number first.', text: 'Choose the number your exchange app shows, then press Approve. Nothing was changed.' };
        return confirmationPage(token, now.page, { numberMatching: this.config.numberMatching, notice, ...extras });
      }
      if (error.code === 'match_code_wrong' && form.matchCode) return wrongCodePage(facts, code);
      return linkStatePage(now.state === 'usable' ? 'unknown' : now.state, code);
    }
  }
}

/** The assertion the page's script put in the form, as JSON text; anything else is not one. */
function passkeyOf(text: string | undefined): PasskeyAssertionJson | undefined {
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as PasskeyAssertionJson;
  } catch {
    // not JSON: refused below
  }
  throw new Problem('validation_failed', 'the passkey answer is not one a browser gives');
}
