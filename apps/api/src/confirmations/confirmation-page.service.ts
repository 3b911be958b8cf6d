import { APP_CONFIG, AppConfig } from '@app/config';
import { hashToken, safeEqual } from '@app/crypto';
import { AntiPhishingCodeRepository, ChallengePage, ChallengeRepository, PasskeyRepository } from '@app/database';
import { exceedsAmount } from '@app/domain';
import { Inject, Injectable } from '@nestjs/common';

/**
 * Where a confirmation link stands, as its page tells the person who opens it: still usable, or why not.
 * `unknown` covers every token that matches nothing, so a guess learns nothing.
 */
export type LinkState = 'usable' | 'unknown' | 'used' | 'approved' | 'posted' | 'denied' | 'expired' | 'ended';

/** What the page adds for its customer: the anti-phishing code, and whether Approve needs the passkey. */
export interface PageExtras {
  antiPhishingCode?: string;
  passkey: boolean;
}

/** What a confirmation link shows, if it can still be used; reading it changes nothing. */
@Injectable()
export class ConfirmationPageService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly challenges: ChallengeRepository,
    private readonly passkeys: PasskeyRepository,
    private readonly antiPhishingCodes: AntiPhishingCodeRepository,
  ) {}

  /**
   * The customer's anti-phishing code (for a token that matched a challenge), and, for a push link, whether
   * it is approved only with a passkey: the customer had one when the withdrawal was requested, or the
   * amount is above PASSKEY_REQUIRED_ABOVE.
   */
  async extras(token: string): Promise<PageExtras> {
    const hash = hashToken(token);
    const c = await this.passkeys.signingContext(hash);
    if (!c || !safeEqual(c.tokenHash, hash)) return { passkey: false };
    const [code, credentials] = await Promise.all([
      this.antiPhishingCodes.find(c.userId),
      c.factor === 'push' ? this.passkeys.credentialsForWithdrawal(c.withdrawalId) : Promise.resolve([]),
    ]);
    const limit = this.config.passkeyRequiredAbove[c.asset];
    const above = limit !== undefined && exceedsAmount(c.amount, limit);
    return { antiPhishingCode: code, passkey: c.factor === 'push' && (credentials.length > 0 || above) };
  }

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
