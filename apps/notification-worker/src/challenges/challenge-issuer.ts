import { APP_CONFIG, AppConfig } from '@app/config';
import { AuditRepository, ChallengeRepository } from '@app/database';
import { TokenFactor } from '@app/domain';
import { Inject, Injectable } from '@nestjs/common';
import { deliveryLeaseSeconds, LeasedDelivery } from '../deliveries/leased-delivery';
import { SentMarks } from '../deliveries/sent-marks';
import { WithdrawalMessageFacts, WithdrawalReader } from './withdrawal-reader';

export type IssueOutcome = 'sent' | 'already_sent' | 'withdrawal_closed' | 'not_sent';

/**
 * One challenge per withdrawal, factor and device, delivered once with its single-use link (LeasedDelivery),
 * and only while the withdrawal is open.
 */
@Injectable()
export class ChallengeIssuer {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly delivery: LeasedDelivery,
    private readonly challenges: ChallengeRepository,
    private readonly withdrawals: WithdrawalReader,
    private readonly audit: AuditRepository,
    private readonly marks: SentMarks,
  ) {}

  async issue(
    withdrawalId: string,
    factor: TokenFactor,
    subscriptionId: string | null,
    deliver: (w: WithdrawalMessageFacts, token: string) => Promise<boolean>,
  ): Promise<IssueOutcome> {
    const outcome = await this.delivery.send<WithdrawalMessageFacts>(
      {
        take: async (tokenHash) => {
          const lease = deliveryLeaseSeconds(factor, this.config.delivery);
          const taken = await this.challenges.take(withdrawalId, factor, subscriptionId, tokenHash, lease);
          return taken && { context: this.withdrawals.facts(taken.withdrawal), delivery: taken.delivery };
        },
        releaseClaim: (id) => this.challenges.releaseClaim(id),
        sent: (id, w) =>
          this.marks.record([
            this.challenges.sentChange(id),
            this.audit.entryChange({
              event: 'challenge_sent',
              userId: w.userId,
              withdrawalId,
              detail: { factor, ...(subscriptionId ? { subscriptionId } : {}) },
            }),
          ]),
      },
      deliver,
    );
    return outcome === 'closed' ? 'withdrawal_closed' : outcome;
  }
}
