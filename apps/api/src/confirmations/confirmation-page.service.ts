import { hashToken, safeEqual } from '@app/crypto';
import { ChallengePage, ChallengeRepository } from '@app/database';
import { Injectable } from '@nestjs/common';

/**
 * Where a confirmation link stands, as its page tells the person who opens it: still usable, or why not.
 * `unknown` covers every token that matches nothing, so a guess learns nothing.
 */
export type LinkState = 'usable' | 'unknown' | 'used' | 'approved' | 'posted' | 'denied' | 'expired' | 'ended';

/** What a confirmation link shows, if it can still be used; reading it changes nothing. */
@Injectable()
export class ConfirmationPageService {
  constructor(private readonly challenges: ChallengeRepository) {}

  async usable(token: string): Promise<ChallengePage | undefined> {
    const { state, page } = await this.open(token);
    return state === 'usable' ? page : undefined;
  }

  /** The link's page and its state; the page only for a token that matched a challenge. */
  async open(token: string, now = Date.now()): Promise<{ state: LinkState; page?: ChallengePage }> {
    const hash = hashToken(token);
    const page = await this.challenges.findForPage(hash);
    if (!page || !safeEqual(page.tokenHash, hash)) return { state: 'unknown' };
    return { state: linkState(page, now), page };
  }
}

function linkState(page: ChallengePage, now: number): LinkState {
  const w = page.withdrawal;
  switch (w.status) {
    case 'posted':
      return 'posted';
    case 'denied':
      return 'denied';
    case 'expired':
      return 'expired';
    case 'pending_confirmation':
    case 'held':
      // A held withdrawal still collects its confirmations (it posts only after an operator's release).
      if (w.expiresAt.getTime() <= now) return 'expired';
      if (page.factorStatus === 'approved') return 'approved';
      if (page.factorStatus === 'denied') return 'denied';
      if (page.consumedAt || page.factorStatus !== 'pending') return 'used';
      return 'usable';
    default:
      // cancelled, rejected: not waiting for this link any more.
      return 'ended';
  }
}
