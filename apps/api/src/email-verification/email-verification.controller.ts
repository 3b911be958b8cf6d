import { PublicRateLimitGuard } from '../rate-limits/public-rate-limit.guard';
import { hashToken } from '@app/crypto';
import { appendAudit, lockWithdrawalsAfterSecurityChange, updateReturning } from '@app/database';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Body, Controller, Get, Header, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsString, Length } from 'class-validator';
import { DataSource } from 'typeorm';
import { Problem } from '../problems/problem';
import { ACTOR } from '../security/security.service';
import { htmlPage } from '../confirmations/html-page';

export class EmailVerificationDto {
  @ApiProperty() @IsString() @Length(16, 200) token: string;
}

/** The token is the credential: no bearer. Opening the page changes nothing; only the POST verifies. */
@ApiTags('customer: security setup')
@UseGuards(PublicRateLimitGuard)
@Controller()
export class EmailVerificationController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  @Post('v1/email-verifications')
  @HttpCode(204)
  async verify(@Body() body: EmailVerificationDto): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const [v] = await updateReturning(
        m,
        `UPDATE email_verifications SET consumed_at = now()
          WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > now() RETURNING user_id, email`,
        [hashToken(body.token)],
      );
      if (!v) throw new Problem('token_invalid');
      await m.query('UPDATE users SET email = $2, email_verified_at = now() WHERE id = $1', [v.user_id, v.email]);
      await lockWithdrawalsAfterSecurityChange(m, v.user_id, this.config.securityChangeLockMs);
      await appendAudit(m, { actor: ACTOR, event: 'email_verified', userId: v.user_id });
    });
  }

  @Get('verify-email/:token')
  @Header('content-type', 'text/html; charset=utf-8')
  page(@Param('token') token: string): string {
    return htmlPage(
      'Verify your email address',
      `<p>Confirm that withdrawal confirmations should be sent to this address.</p>
       <button id="verify">Verify this address</button><p id="result" role="status"></p>
       <script>
         document.getElementById('verify').onclick = async () => {
           const r = await fetch('/v1/email-verifications', { method: 'POST', headers: { 'content-type': 'application/json' },
             body: JSON.stringify({ token: ${JSON.stringify(token).replace(/</g, '\\u003c')} }) });
           document.getElementById('result').textContent = r.status === 204 ? 'Verified.' : 'This link is not valid any more.';
         };
       </script>`,
    );
  }
}
