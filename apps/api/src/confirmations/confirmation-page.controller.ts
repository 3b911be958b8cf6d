import { formatAmount } from '@app/domain';
import { Controller, Get, Param, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { escapeHtml, htmlPage, HtmlPage, scriptValue } from '../http/html-page';
import { PublicRateLimitGuard } from '../http/rate-limits/public-rate-limit.guard';
import { ConfirmationPageService } from './confirmation-page.service';

/**
 * The page a customer opens from the email or the push. Opening it (GET or HEAD, by a person or a mail
 * scanner) changes nothing and uses nothing up: only the POST to /v1/confirmations decides.
 */
@ApiExcludeController()
@UseGuards(PublicRateLimitGuard)
@Controller('confirm')
export class ConfirmationPageController {
  constructor(private readonly pages: ConfirmationPageService) {}

  @Get(':token')
  @HtmlPage()
  async page(@Param('token') token: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const page = await this.pages.usable(token);
    if (!page) {
      reply.status(410);
      return htmlPage('This link is no longer valid', '<p>It was used already, or the withdrawal is no longer waiting for confirmation.</p>');
    }
    const w = page.withdrawal;
    const details: [string, string][] = [
      ['Amount', `${formatAmount(w.amount)} ${w.asset}`],
      ['Network', w.network],
      ['Destination', w.address],
      ['Requested at', w.createdAt.toISOString()],
      ['Requested from', w.requestIp ?? 'unknown'],
      ['Confirm before', w.expiresAt.toISOString()],
    ];
    const choices = w.matchChoices
      .map((c) => `<button type="button" class="choice" aria-pressed="false" data-code="${escapeHtml(c)}">${escapeHtml(c)}</button>`)
      .join('');
    return htmlPage(
      `Confirm this ${w.asset} withdrawal`,
      `<dl>${details.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
       <p>Pick the number shown in your exchange app:</p><div class="choices">${choices}</div>
       <p><button id="approve" type="button">Approve</button>
          <button id="deny" type="button">This wasn't me</button></p>
       <p id="result" role="status"></p>
       <script>
         const token = ${scriptValue(token)};
         let picked = null;
         for (const b of document.querySelectorAll('.choice')) b.onclick = () => {
           picked = b.dataset.code;
           for (const o of document.querySelectorAll('.choice')) o.setAttribute('aria-pressed', String(o === b));
         };
         async function decide(decision) {
           const r = await fetch('/v1/confirmations', { method: 'POST', headers: { 'content-type': 'application/json' },
             body: JSON.stringify(decision === 'approve' ? { token, decision, matchCode: picked || undefined } : { token, decision }) });
           const body = await r.json().catch(() => ({}));
           document.getElementById('result').textContent = r.ok
             ? (body.status === 'approved' ? 'Approved. You can close this page.' : 'Stopped. Withdrawals on your account are frozen.')
             : (body.detail || body.title || 'Something went wrong');
         }
         document.getElementById('approve').onclick = () => decide('approve');
         document.getElementById('deny').onclick = () => decide('deny');
       </script>`,
    );
  }
}
