import { PublicRateLimitGuard } from '../rate-limits/public-rate-limit.guard';
import { hashToken, safeEqual } from '@app/crypto';
import { formatAmount } from '@app/ledger';
import { Controller, Get, Header, Param, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { escapeHtml, htmlPage } from './html-page';

/**
 * The page a customer opens from the email or the push. Opening it (GET or HEAD, by a person or a mail
 * scanner) changes nothing and uses nothing up: only the POST to /v1/confirmations decides.
 */
@ApiExcludeController()
@UseGuards(PublicRateLimitGuard)
@Controller('confirm')
export class ConfirmationPageController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get(':token')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @Header('x-frame-options', 'DENY')
  @Header('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'")
  async page(@Param('token') token: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const hash = hashToken(token);
    const [row] = await this.dataSource.query(
      `SELECT c.token_hash, c.factor, c.consumed_at, w.status, w.asset, w.network, w.amount::text AS amount, w.address,
              w.created_at, w.expires_at, w.request_ip, w.match_choices,
              (SELECT status FROM withdrawal_factors f WHERE f.withdrawal_id = w.id AND f.factor = c.factor) AS factor_status
         FROM challenges c JOIN withdrawals w ON w.id = c.withdrawal_id WHERE c.token_hash = $1`,
      [hash],
    );
    const usable =
      row && safeEqual(row.token_hash, hash) && !row.consumed_at && row.status === 'pending_confirmation' &&
      row.factor_status === 'pending' && row.expires_at.getTime() > Date.now();
    if (!usable) {
      void reply.status(410);
      return htmlPage('This link is no longer valid', '<p>It was used already, or the withdrawal is no longer waiting for confirmation.</p>');
    }
    const details: [string, string][] = [
      ['Amount', `${formatAmount(row.amount)} ${row.asset}`],
      ['Network', row.network],
      ['Destination', row.address],
      ['Requested at', row.created_at.toISOString()],
      ['Requested from', row.request_ip ?? 'unknown'],
      ['Confirm before', row.expires_at.toISOString()],
    ];
    const choices = (row.match_choices as string[])
      .map((c) => `<button type="button" class="choice" aria-pressed="false" data-code="${escapeHtml(c)}">${escapeHtml(c)}</button>`)
      .join('');
    return htmlPage(
      `Confirm this ${escapeHtml(row.asset)} withdrawal`,
      `<dl>${details.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
       <p>Pick the number shown in your exchange app:</p><div class="choices">${choices}</div>
       <p><button id="approve" type="button">Approve</button>
          <button id="deny" type="button">This wasn't me</button></p>
       <p id="result" role="status"></p>
       <script>
         const token = ${JSON.stringify(token).replace(/</g, '\\u003c')};
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
