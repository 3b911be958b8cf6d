import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { htmlPage, HtmlPage, scriptValue } from '../http/html-page';
import { PublicRateLimitGuard } from '../http/rate-limits/public-rate-limit.guard';
import { EmailVerificationService } from './email-verification.service';
import { EmailVerificationDto } from './security.dto';

/** The token is the credential: no bearer. Opening the page changes nothing; only the POST verifies. */
@ApiTags('customer: security setup')
@UseGuards(PublicRateLimitGuard)
@Controller()
export class EmailVerificationController {
  constructor(private readonly verifications: EmailVerificationService) {}

  @Post('v1/email-verifications')
  @HttpCode(204)
  async verify(@Body() body: EmailVerificationDto): Promise<void> {
    await this.verifications.verify(body.token);
  }

  @Get('verify-email/:token')
  @HtmlPage()
  page(@Param('token') token: string): string {
    return htmlPage(
      'Verify your email address',
      `<p>Confirm that withdrawal confirmations should be sent to this address.</p>
       <button id="verify">Verify this address</button><p id="result" role="status"></p>
       <script>
         document.getElementById('verify').onclick = async () => {
           const r = await fetch('/v1/email-verifications', { method: 'POST', headers: { 'content-type': 'application/json' },
             body: JSON.stringify({ token: ${scriptValue(token)} }) });
           document.getElementById('result').textContent = r.status === 204 ? 'Verified.' : 'This link is not valid any more.';
         };
       </script>`,
    );
  }
}
