import { ProblemCode } from '@app/domain';
import { ArgumentsHost, Catch } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { HTML_PAGE_HEADERS, htmlPage, outcome } from './html-page';
import { Problem } from './problem';
import { ProblemFilter } from './problem.filter';

/** What a person is told when a page or its form fails, by the problem's code. */
const PAGES: Partial<Record<ProblemCode, { heading: string; text: string }>> = {
  validation_failed: {
    heading: 'This form was not complete',
    text: 'Nothing was changed. Open the link from your email or notification again and use the buttons on that page.',
  },
  not_found: { heading: 'Page not found', text: 'Open the link from your email or notification again.' },
  token_invalid: {
    heading: 'This link is no longer valid',
    text: 'It was used already, or the withdrawal is no longer waiting for confirmation.',
  },
  rate_limited: {
    heading: 'Too many attempts',
    text: 'Too many requests came from your network. Nothing was changed. Wait a minute, then open the link again.',
  },
  verdict_unavailable: {
    heading: 'No answer yet',
    text: 'Your answer was sent, but the confirmation service did not reply in time. Check the withdrawal in your exchange app before you try again.',
  },
  unavailable: {
    heading: 'Please try again in a moment',
    text: 'Part of our service cannot be reached right now. Nothing was lost: open the link again in a few seconds.',
  },
  internal_error: {
    heading: 'Something went wrong',
    text: 'Something went wrong on our side. Try again in a moment; if it keeps happening, contact support.',
  },
};

/** The problem as a page, with the status it answers with. */
export function problemPage(problem: Problem): string {
  const page = PAGES[problem.code] ?? { heading: problem.body().title, text: problem.body().detail };
  return htmlPage(page.heading, outcome('info', page.heading, [page.text]));
}

/**
 * For the pages a person opens (and their forms): an error is answered as an HTML page, with the same
 * status, headers (Retry-After included) and security headers as the page, to whoever asks for HTML (a
 * browser always does); to anyone else as application/problem+json, like every other error.
 */
@Catch()
export class HtmlProblemFilter extends ProblemFilter {
  async catch(error: unknown, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    if (!/\btext\/html\b/i.test(request.headers.accept ?? '')) return super.catch(error, host);
    const reply = http.getResponse<FastifyReply>();
    const problem = await this.toProblem(error, request);
    reply.headers({ ...problem.headers, ...HTML_PAGE_HEADERS });
    reply.status(problem.getStatus()).send(problemPage(problem));
  }
}
