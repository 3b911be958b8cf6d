import { APP_CONFIG, AppConfig } from '@app/config';
import { AuditRepository, ChallengeRepository, LivePushDevice, PushTake, WithdrawalForMessage } from '@app/database';
import { TokenFactor } from '@app/domain';
import { Inject, Injectable } from '@nestjs/common';
import { deliveryLeaseSeconds, LeasedDelivery } from '../deliveries/leased-delivery';
import { SentMarks } from '../deliveries/sent-marks';
import { WithdrawalMessageFacts, WithdrawalReader } from './withdrawal-reader';

export type IssueOutcome = 'sent' | 'already_sent' | 'withdrawal_closed' | 'not_sent' | 'device_retired';

/** What a challenge's message is made from: the withdrawal, and for a push the device it goes to. */
export interface ChallengeContext {
  withdrawal: WithdrawalMessageFacts;
  device?: LivePushDevice;
}

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
    deliver: (c: ChallengeContext, token: string) => Promise<boolean>,
  ): Promise<IssueOutcome> {
    let retired = false;
    const outcome = await this.delivery.send<ChallengeContext>(
      {
        take: async (tokenHash) => {
          const lease = deliveryLeaseSeconds(factor, this.config.delivery);
          const taken = await this.challenges.take(withdrawalId, factor, subscriptionId, tokenHash, lease);
          retired = taken === 'device_retired';
          if (typeof taken === 'string') return undefined;
          return { context: { withdrawal: this.withdrawals.facts(taken.withdrawal), device: taken.device }, delivery: taken.delivery };
        },
        ...this.afterSend(withdrawalId, factor, subscriptionId),
      },
      deliver,
    );
    if (outcome !== 'closed') return outcome;
    return retired ? 'device_retired' : 'withdrawal_closed';
  }

  /** A push whose challenge the fan-out's statement took with `token`'s hash (ChallengeRepository.fanOutPushes). */
  issueTaken(
    withdrawalId: string,
    taken: { withdrawal: WithdrawalForMessage; push: PushTake },
    token: string,
    deliver: (c: ChallengeContext, token: string) => Promise<boolean>,
  ): Promise<IssueOutcome> {
    const { device, delivery } = taken.push;
    const context = { withdrawal: this.withdrawals.facts(taken.withdrawal), device };
    return this.delivery.sendTaken(this.afterSend(withdrawalId, 'push', device.id), { context, delivery }, token, deliver);
  }

  /** A failed send gives its claim back; a sent one is marked and audited (SentMarks). */
  private afterSend(withdrawalId: string, factor: TokenFactor, subscriptionId: string | null) {
    return {
      releaseClaim: (id: string) => this.challenges.releaseClaim(id),
      sent: (id: string, c: ChallengeContext) =>
        this.marks.record([
          this.challenges.sentChange(id),
          this.audit.entryChange({
            event: 'challenge_sent',
            userId: c.withdrawal.userId,
            withdrawalId,
            detail: { factor, ...(subscriptionId ? { subscriptionId } : {}) },
          }),
        ]),
    };
  }
}
