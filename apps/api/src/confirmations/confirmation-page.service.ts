import { hashToken, safeEqual } from '@app/crypto';
import { ChallengePage, ChallengeRepository } from '@app/database';
import { Injectable } from '@nestjs/common';

/** What a confirmation link shows, if it can still be used; reading it changes nothing. */
@Injectable()
export class ConfirmationPageService {
  constructor(private readonly challenges: ChallengeRepository) {}

  async usable(token: string): Promise<ChallengePage | undefined> {
    const hash = hashToken(token);
    const page = await this.challenges.findForPage(hash);
    const usable =
      page &&
      safeEqual(page.tokenHash, hash) &&
      !page.consumedAt &&
      page.withdrawal.status === 'pending_confirmation' &&
      page.factorStatus === 'pending' &&
      page.withdrawal.expiresAt.getTime() > Date.now();
    return usable ? page : undefined;
  }
}
