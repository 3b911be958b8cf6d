import { APP_CONFIG, AppConfig } from '@app/config';
import { hashToken, safeEqual } from '@app/crypto';
import { appendAudit } from '@app/database';
import { Decision, TokenFactor, Verdict } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { LockedWithdrawal, WithdrawalLocks } from '../withdrawals/withdrawal-locks';
import { ACTOR, WithdrawalSettlement } from '../withdrawals/withdrawal-settlement';
import { NotMeAlarm } from './not-me-alarm';

/**
 * The page offers three numbers: any limit above one lets whoever holds the link (a fatigued customer
 * tapping until it works, a script, a mailbox thief) approve by trying them in turn. One wrong pick denies.
 */
export const WRONG_MATCH_PICKS_LIMIT = 1;

interface ChallengeRow {
  id: string;
  withdrawal_id: string;
  factor: TokenFactor;
  token_hash: Buffer;
  digest: Buffer;
  consumed_at: Date | null;
}

const TOKEN_INVALID: Verdict = { ok: false, code: 'token_invalid' };

/**
 * An email or push approval or denial. The token is the credential: unknown, used, replaced, expired
 * or for a finished factor are all `token_invalid` alike. Approve needs the match code when number
 * matching is on; a missing code uses nothing up, a wrong one counts toward denying the factor.
 */
@Injectable()
export class DecideToken {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly locks: WithdrawalLocks,
    private readonly settlement: WithdrawalSettlement,
    private readonly notMe: NotMeAlarm,
  ) {}

  async execute(input: { token: string; decision: Decision; matchCode?: string }): Promise<Verdict> {
    const hash = hashToken(input.token);
    const [found] = await this.dataSource.query('SELECT withdrawal_id FROM challenges WHERE token_hash = $1', [hash]);
    if (!found) return TOKEN_INVALID;
    return this.dataSource.transaction(async (m) => {
      const w = await this.locks.lockWithdrawal(m, found.withdrawal_id);
      const [challenge]: ChallengeRow[] = await m.query(
        `SELECT id, withdrawal_id, factor, token_hash, digest, consumed_at FROM challenges
          WHERE token_hash = $1 FOR UPDATE`,
        [hash],
      );
      if (!w || !challenge || !safeEqual(challenge.token_hash, hash) || challenge.consumed_at) return TOKEN_INVALID;
      if (w.status !== 'pending_confirmation') return TOKEN_INVALID;
      if (this.settlement.isExpired(w)) {
        await this.settlement.finish(m, w, 'expired', 'confirmation_window_passed');
        return TOKEN_INVALID;
      }
      const factor = (await this.locks.lockFactors(m, w.id))[challenge.factor];
      // Deny wins: an unused token may still stop the withdrawal after its factor was approved elsewhere
      // (another device), but it can approve only a factor that is still pending.
      if (input.decision === 'deny') return this.deny(m, w, challenge);
      if (factor.status !== 'pending') return TOKEN_INVALID;
      if (this.config.numberMatching) {
        if (!input.matchCode) return { ok: false, code: 'match_code_wrong', detail: 'pick the code shown in your app' };
        if (!safeEqual(input.matchCode, w.match_code)) return this.wrongPick(m, w, challenge, factor.wrong_match_picks + 1);
      }
      if (!safeEqual(challenge.digest, w.digest)) {
        // The details changed after this challenge was sent: what the customer saw is not what would be paid.
        await this.consume(m, challenge);
        await this.settlement.finish(m, w, 'denied', 'details_changed');
        return TOKEN_INVALID;
      }
      await this.consume(m, challenge);
      await this.settlement.setFactor(m, w, challenge.factor, 'approved', `challenge:${challenge.id}`, challenge.digest);
      await this.settlement.evaluate(m, w);
      return { ok: true, factor: challenge.factor, status: 'approved' };
    });
  }

  private async consume(m: EntityManager, challenge: ChallengeRow): Promise<void> {
    await m.query('UPDATE challenges SET consumed_at = now() WHERE id = $1', [challenge.id]);
  }

  private async deny(m: EntityManager, w: LockedWithdrawal, challenge: ChallengeRow): Promise<Verdict> {
    await this.consume(m, challenge);
    await this.settlement.setFactor(m, w, challenge.factor, 'denied', `challenge:${challenge.id}`);
    await this.settlement.evaluate(m, w);
    await this.notMe.raise(m, w, challenge.factor);
    return { ok: true, factor: challenge.factor, status: 'denied' };
  }

  private async wrongPick(m: EntityManager, w: LockedWithdrawal, challenge: ChallengeRow, picks: number): Promise<Verdict> {
    await m.query('UPDATE withdrawal_factors SET wrong_match_picks = $3 WHERE withdrawal_id = $1 AND factor = $2', [
      w.id,
      challenge.factor,
      picks,
    ]);
    await appendAudit(m, { actor: ACTOR, event: 'match_code_wrong', userId: w.user_id, withdrawalId: w.id, detail: { factor: challenge.factor, picks } });
    if (picks < WRONG_MATCH_PICKS_LIMIT) {
      return { ok: false, code: 'match_code_wrong', detail: `${WRONG_MATCH_PICKS_LIMIT - picks} pick(s) left` };
    }
    await this.consume(m, challenge);
    await this.settlement.setFactor(m, w, challenge.factor, 'denied', `match-code-wrong:${picks}`);
    await this.settlement.evaluate(m, w);
    return { ok: false, code: 'match_code_wrong', detail: `wrong code: the ${challenge.factor} confirmation is denied and the withdrawal stopped` };
  }
}
