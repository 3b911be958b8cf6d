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
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { FastifyReply } from 'fastify';
import { HtmlPage } from '../http/html-page';
import { HtmlProblemFilter } from '../http/html-problem.filter';
import { Problem } from '../http/problem';
import { RateLimit, RateLimitGuard } from '../http/rate-limits/rate-limit.guard';
import { ConfirmationPageService } from './confirmation-page.service';
import { approvedPage, confirmationPage, linkStatePage, shown, stoppedPage, wrongCodePage } from './confirmation-views';
import { ConfirmationsService } from './confirmations.service';

/** The page's form, sent as a browser sends it (application/x-www-form-urlencoded): the pressed button and the pick. */
export class ConfirmationFormDto {
  @ApiProperty({ enum: ['approve', 'deny'] }) @IsIn(['approve', 'deny']) decision: Decision;
  @ApiPropertyOptional({ example: '47' }) @IsOptional() @IsString() @Matches(/^[0-9]{2}$/) matchCode?: string;
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
    const { state, page } = await this.pages.open(token);
    if (state !== 'usable' || !page) {
      reply.status(410);
      return linkStatePage(state === 'usable' ? 'unknown' : state);
    }
    return confirmationPage(token, page, { numberMatching: this.config.numberMatching });
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
    const before = await this.pages.open(token);
    const facts = before.page && shown(before.page);
    try {
      const result = await this.confirmations.decide(token, form.decision, form.matchCode);
      return result.status === 'approved' ? approvedPage(result.factor, facts) : stoppedPage(facts);
    } catch (error) {
      if (!(error instanceof Problem) || (error.code !== 'match_code_wrong' && error.code !== 'token_invalid')) throw error;
      reply.status(error.getStatus());
      const now = await this.pages.open(token);
      if (error.code === 'match_code_wrong' && now.state === 'usable' && now.page) {
        // Refused without using the link up (no pick, or a wrong pick with tries left): the form again.
        const notice = form.matchCode
          ? { heading: 'That is not the number your app shows.', text: error.detail ?? '' }
          : { heading: 'Pick a number first.', text: 'Choose the number your exchange app shows, then press Approve. Nothing was changed.' };
        return confirmationPage(token, now.page, { numberMatching: this.config.numberMatching, notice });
      }
      if (error.code === 'match_code_wrong' && form.matchCode) return wrongCodePage(facts);
      return linkStatePage(now.state === 'usable' ? 'unknown' : now.state);
    }
  }
}
