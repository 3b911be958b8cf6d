import { APP_CONFIG, AppConfig } from '@app/config';
import { hashToken, safeEqual } from '@app/crypto';
import { AuditRepository, ChallengeRepository, ChallengeRow, PasskeyRepository, Transactions, WithdrawalRepository } from '@app/database';
import { Decision, isOpen, problem, Verdict } from '@app/domain';
import { PasskeyAssertionJson } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LockedWithdrawal, WithdrawalLocks } from '../withdrawals/withdrawal-locks';
import { WithdrawalSettlement } from '../withdrawals/withdrawal-settlement';
import { PasskeyApproval, PasskeyCheck } from '../passkeys/passkey-approval';
import { NotMeAlarm } from './not-me-alarm';

/**
 * The page offers three numbers: any limit above one lets whoever holds the link (a fatigued customer
 * tapping until it works, a script, a mailbox thief) approve by trying them in turn. One wrong pick denies.
 */
export const WRONG_MATCH_PICKS_LIMIT = 1;

const TOKEN_INVALID = problem('token_invalid');

/**
 * An email or push approval or denial. The token is the credential: unknown, used, replaced, expired
 * or for a finished factor are all `token_invalid` alike. Approve needs the match code when number
 * matching is on; a missing code uses nothing up, a wrong one counts toward denying the factor.
 */
@Injectable()
export class DecideToken {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly challenges: ChallengeRepository,
    private readonly withdrawals: WithdrawalRepository,
    private readonly locks: WithdrawalLocks,
    private readonly settlement: WithdrawalSettlement,
    private readonly notMe: NotMeAlarm,
    private readonly audit: AuditRepository,
    private readonly passkeyApproval: PasskeyApproval,
    private readonly passkeys: PasskeyRepository,
  ) {}

  async execute(input: { token: string; decision: Decision; matchCode?: string; passkey?: PasskeyAssertionJson }): Promise<Verdict> {
    const hash = hashToken(input.token);
    return this.transactions.run(async (m) => {
      // Customer, withdrawal, factors and then the challenge, in one round trip: the order WithdrawalLocks keeps.
      const locked = await this.locks.lockForTokenDecision(m, hash);
      if (!locked || !safeEqual(locked.challenge.tokenHash, hash) || locked.challenge.consumedAt) return TOKEN_INVALID;
      const { withdrawal: w, factors, challenge } = locked;
      // A held withdrawal still collects its confirmations; it posts only once an operator releases it.
      if (!isOpen(w.status)) return TOKEN_INVALID;
      if (this.settlement.isExpired(w)) {
        await this.settlement.finish(m, w, 'expired', 'confirmation_window_passed');
        return TOKEN_INVALID;
      }
      const factor = factors[challenge.factor];
      // Deny wins: an unused token may still stop the withdrawal after its factor was approved elsewhere
      // (another device), but it can approve only a factor that is still pending.
      if (input.decision === 'deny') return this.deny(m, w, challenge);
      if (factor.status !== 'pending') return TOKEN_INVALID;
      if (this.config.numberMatching) {
        if (!input.matchCode) return problem('match_code_wrong', 'pick the code shown in your app');
        if (!safeEqual(input.matchCode, w.matchCode)) return this.wrongPick(m, w, challenge, factor.wrongMatchPicks + 1);
      }
      // The push factor of a customer with a passkey (or above PASSKEY_REQUIRED_ABOVE) is approved only by an assertion over this withdrawal.
      const passkey: PasskeyCheck =
        challenge.factor === 'push' ? await this.passkeyApproval.check(m, w, challenge, input.passkey, locked.passkeys) : { kind: 'not_needed' };
      if (passkey.kind === 'missing') return problem('passkey_required', 'approve with your passkey');
      if (passkey.kind === 'invalid') return this.passkeyRefused(m, w, challenge, passkey.reason);
      if (!safeEqual(challenge.digest, w.digest)) {
        // The details changed after this challenge was sent: what the customer saw is not what would be paid.
        await this.challenges.consume(m, challenge.id);
        await this.settlement.finish(m, w, 'denied', 'details_changed');
        return TOKEN_INVALID;
      }
      const decided = await this.settlement.decideFactor(
        m,
        w,
        challenge.factor,
        { status: 'approved', evidence: `challenge:${challenge.id}`, digest: challenge.digest, challengeId: challenge.id },
        [this.challenges.consumeChange(challenge.id)],
      );
      if (passkey.kind === 'valid') {
        await this.passkeys.recordUse(m, passkey.passkeyId, passkey.counter);
        await this.passkeys.recordApproval(m, w.id, passkey.passkeyId, passkey.assertion);
        await this.audit.append(m, { event: 'passkey_approved', userId: w.userId, withdrawalId: w.id, detail: { passkeyId: passkey.passkeyId } });
      }
      await this.settlement.evaluate(m, w, decided);
      return { ok: true, factor: challenge.factor, status: 'approved' };
    });
  }

  private async deny(m: EntityManager, w: LockedWithdrawal, challenge: ChallengeRow): Promise<Verdict> {
    const decided = await this.settlement.decideFactor(
      m,
      w,
      challenge.factor,
      { status: 'denied', evidence: `challenge:${challenge.id}`, challengeId: challenge.id },
      [this.challenges.consumeChange(challenge.id)],
    );
    await this.settlement.evaluate(m, w, decided);
    await this.notMe.raise(m, w, challenge.factor);
    return { ok: true, factor: challenge.factor, status: 'denied' };
  }

  /** An assertion that failed: the push factor is denied (which denies the withdrawal); the account is not frozen. */
  private async passkeyRefused(m: EntityManager, w: LockedWithdrawal, challenge: ChallengeRow, reason: string): Promise<Verdict> {
    await this.audit.append(m, { event: 'passkey_refused', userId: w.userId, withdrawalId: w.id, detail: { reason } });
    const decided = await this.settlement.decideFactor(
      m,
      w,
      challenge.factor,
      { status: 'denied', evidence: `passkey-invalid:${reason}`, challengeId: challenge.id },
      [this.challenges.consumeChange(challenge.id)],
    );
    await this.settlement.evaluate(m, w, decided);
    return problem('passkey_invalid', 'the passkey approval could not be verified: the confirmation is denied and the withdrawal stopped');
  }

  private async wrongPick(m: EntityManager, w: LockedWithdrawal, challenge: ChallengeRow, picks: number): Promise<Verdict> {
    await this.withdrawals.setWrongMatchPicks(m, w.id, challenge.factor, picks);
    await this.audit.append(m, { event: 'match_code_wrong', userId: w.userId, withdrawalId: w.id, detail: { factor: challenge.factor, picks } });
    if (picks < WRONG_MATCH_PICKS_LIMIT) {
      return problem('match_code_wrong', `${WRONG_MATCH_PICKS_LIMIT - picks} pick(s) left`);
    }
    const decided = await this.settlement.decideFactor(
      m,
      w,
      challenge.factor,
      { status: 'denied', evidence: `match-code-wrong:${picks}`, challengeId: challenge.id },
      [this.challenges.consumeChange(challenge.id)],
    );
    await this.settlement.evaluate(m, w, decided);
    return problem('match_code_wrong', `wrong code: the ${challenge.factor} confirmation is denied and the withdrawal stopped`);
  }
}
