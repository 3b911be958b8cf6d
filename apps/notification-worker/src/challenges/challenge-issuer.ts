import { hashToken, newToken } from '@app/crypto';
import { AuditRepository, ChallengeRepository, Transactions } from '@app/database';
import { TokenFactor } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { WithdrawalMessageFacts, WithdrawalReader } from './withdrawal-reader';

/** How long one delivery attempt owns a challenge; a duplicate job waits this out (by retrying) before taking over. */
export const DELIVERY_LEASE_SECONDS = 30;

/** Thrown to a duplicate job while another delivers the same challenge; BullMQ retries it with backoff. */
export class DeliveryInProgress extends Error {}

export type IssueOutcome = 'sent' | 'already_sent' | 'withdrawal_closed' | 'not_sent';

/**
 * One challenge per withdrawal, factor and device. The token is made here, kept in memory for the one
 * message, and only its hash is stored — committed before the message leaves, so that a customer who
 * acts at once finds it. A redelivered job after the message went out changes nothing.
 */
@Injectable()
export class ChallengeIssuer {
  constructor(
    private readonly transactions: Transactions,
    private readonly challenges: ChallengeRepository,
    private readonly withdrawals: WithdrawalReader,
    private readonly audit: AuditRepository,
  ) {}

  async issue(
    withdrawalId: string,
    factor: TokenFactor,
    subscriptionId: string | null,
    deliver: (w: WithdrawalMessageFacts, token: string) => Promise<boolean>,
  ): Promise<IssueOutcome> {
    const claimed = await this.transactions.run(async (m) => {
      const w = await this.withdrawals.read(m, withdrawalId);
      if (!w || !this.withdrawals.isOpen(w)) return undefined;
      await this.challenges.ensure(m, withdrawalId, factor, subscriptionId, w.digest);
      const challenge = await this.challenges.lockForDelivery(m, withdrawalId, factor, subscriptionId, DELIVERY_LEASE_SECONDS);
      if (challenge.sentAt) return { w, challengeId: challenge.id, token: undefined };
      // A duplicate of this job is delivering this very challenge right now: let it finish, look again later.
      if (challenge.leased) throw new DeliveryInProgress(`challenge ${challenge.id} is being delivered by another job`);
      const token = newToken();
      await this.challenges.claim(m, challenge.id, hashToken(token));
      return { w, challengeId: challenge.id, token };
    });
    if (!claimed) return 'withdrawal_closed';
    if (!claimed.token) return 'already_sent';
    let delivered: boolean;
    try {
      delivered = await deliver(claimed.w, claimed.token);
    } catch (error) {
      // Release the claim so that this job's own retry delivers at once; after a crash the lease runs out instead.
      await this.challenges.releaseClaim(claimed.challengeId);
      throw error;
    }
    if (!delivered) return 'not_sent';
    await this.transactions.run(async (m) => {
      await this.challenges.markSent(m, claimed.challengeId);
      await this.audit.append(m, {
        event: 'challenge_sent',
        userId: claimed.w.userId,
        withdrawalId,
        detail: { factor, ...(subscriptionId ? { subscriptionId } : {}) },
      });
    });
    return 'sent';
  }
}
