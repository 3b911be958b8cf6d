import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { challengeMail } from '../mail/mail-templates';
import { Mailer } from '../mail/mailer';
import { ChallengeIssuer, IssueOutcome } from './challenge-issuer';

/** The email factor: one message with one link to the confirmation page. */
@Injectable()
export class SendChallengeEmail {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly issuer: ChallengeIssuer,
    private readonly mailer: Mailer,
  ) {}

  execute(withdrawalId: string): Promise<IssueOutcome> {
    return this.issuer.issue(withdrawalId, 'email', null, async ({ withdrawal: w }, token) => {
      if (!w.email || !w.emailVerified) throw new UnrecoverableError('the customer has no verified email address');
      await this.mailer.send(challengeMail(w.email, w, `${this.config.publicBaseUrl}/confirm/${token}`, w.antiPhishingCode));
      return true;
    });
  }
}
