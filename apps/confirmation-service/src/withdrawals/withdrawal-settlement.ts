import {
  AuditRepository,
  DecidedFactors,
  FactorOutcome,
  LedgerRepository,
  PasskeyApprovalProof,
  RecordedChange,
  WithdrawalRepository,
} from '@app/database';
import { EndReason, EndStatus, Factor, FACTORS, formatAmount, isOpen, settle, SettlementFacts, WithdrawalStatus } from '@app/domain';
import { jobId, Outbox, PasskeyProof, QueueName } from '@app/queue';
import { runWithRequestId } from '@app/logging';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { PasskeyPolicy } from '../passkeys/passkey-policy';
import { LockedWithdrawal, WithdrawalLocks } from './withdrawal-locks';

/**
 * Carries out the confirmation rules (`settle` in libs/domain) inside the transaction that changed a
 * factor, with the withdrawal locked: posts it when all three approvals match its current digest, ends
 * it — its hold released — on any denial, expiry or cancellation.
 */
const logger = new Logger('WithdrawalSettlement');

@Injectable()
export class WithdrawalSettlement {
  constructor(
    private readonly locks: WithdrawalLocks,
    private readonly withdrawals: WithdrawalRepository,
    private readonly ledger: LedgerRepository,
    private readonly outbox: Outbox,
    private readonly audit: AuditRepository,
    private readonly passkeyPolicy: PasskeyPolicy,
  ) {}

  isExpired(w: LockedWithdrawal, now = new Date()): boolean {
    return w.expiresAt.getTime() <= now.getTime();
  }

  /** Records the factor's outcome; returns all the withdrawal's factors as they now are, and the posting's facts (for `evaluate`). The caller holds the factors' locks. */
  async decideFactor(
    m: EntityManager,
    w: LockedWithdrawal,
    factor: Factor,
    outcome: FactorOutcome,
    alongside: RecordedChange[] = [],
  ): Promise<DecidedFactors> {
    // The decision, its audit entry and `alongside` (the challenge it used) in one statement.
    return this.withdrawals.decideFactor(m, w.id, factor, outcome, [
      ...alongside,
      this.audit.entryChange({ event: `factor_${outcome.status}`, userId: w.userId, withdrawalId: w.id, detail: { factor } }),
    ]);
  }

  /**
   * Decides what the withdrawal's factors, status, account and the pause now mean, and does it; returns the
   * status. `factors`: as `decideFactor` just returned them, under their locks; otherwise they are locked and read here.
   */
  async evaluate(m: EntityManager, w: LockedWithdrawal, decided?: DecidedFactors): Promise<WithdrawalStatus> {
    const factors = decided?.factors ?? (await this.locks.lockFactors(m, w.id));
    const facts: SettlementFacts = {
      status: w.status,
      expired: this.isExpired(w),
      accountFrozen: w.accountFrozen,
      paused: false,
      factors: Object.fromEntries(
        FACTORS.map((f) => [f, { status: factors[f].status, boundToCurrentDigest: factors[f].digest?.equals(w.digest) === true }]),
      ) as SettlementFacts['factors'],
    };
    let decision = settle(facts);
    // The pause only ever holds back a posting (settle weighs it last): read it, with the passkey approval
    // the posting carries, when there is one to hold back (a decision just read both).
    const posting = decision.action === 'post' ? (decided?.posting ?? (await this.withdrawals.beforePosting(m, w.id))) : undefined;
    if (posting?.paused) decision = settle({ ...facts, paused: true });
    switch (decision.action) {
      case 'none':
      case 'wait':
        return w.status;
      case 'end':
        await this.finish(m, w, decision.status, decision.reason);
        return decision.status;
      case 'post': {
        const passkey = posting?.approval;
        // PASSKEY_REQUIRED_ABOVE, checked again here whatever let the withdrawal in (the API checks it at creation).
        if (!passkey && this.passkeyPolicy.requiresPasskey(w)) {
          await this.finish(m, w, 'denied', 'passkey_required');
          return 'denied';
        }
        await this.post(m, w, passkey && this.passkeyProof(w, passkey));
        return 'posted';
      }
    }
  }

  /** Ends an open withdrawal and releases its hold; the customer hears by email unless they cancelled it. */
  async finish(m: EntityManager, w: LockedWithdrawal, status: EndStatus, reason: string): Promise<void> {
    await this.withdrawals.end(m, w.id, status, reason);
    await this.ledger.void(m, w.id);
    await this.audit.append(m, { event: `withdrawal_${status}`, userId: w.userId, withdrawalId: w.id, detail: { reason } });
    await this.underItsRequestId(w, async () => {
      logger.log(`withdrawal ${w.id} ${status} (${reason})`);
      if (status !== 'cancelled') await this.outbox.add(m, [this.outcomeEmail(w.id)]);
    });
  }

  /** Ends every open withdrawal of the customer (but `exceptId`) with `reason`, releasing their holds. */
  async finishOpenOf(m: EntityManager, userId: string, reason: EndReason, exceptId: string | null = null): Promise<void> {
    for (const id of await this.withdrawals.openIdsOfOwner(m, userId, exceptId)) {
      const w = await this.locks.lockWithdrawal(m, id);
      if (w && isOpen(w.status)) await this.finish(m, w, 'denied', reason);
    }
  }

  /** The customer's own signature over this withdrawal, as the wallet checks it (shared/API.md). */
  private passkeyProof(w: LockedWithdrawal, p: PasskeyApprovalProof): PasskeyProof {
    return {
      credentialId: p.credentialId,
      publicKey: p.publicKey.toString('base64url'),
      authenticatorData: p.assertion.authenticatorData,
      clientDataJSON: p.assertion.clientDataJSON,
      signature: p.assertion.signature,
      challengeId: p.challengeId,
      digest: w.digest.toString('hex'),
    };
  }

  /**
   * A withdrawal's outcome is logged and its jobs published under the id of the request that created it
   * (the one the customer's frontend saw), whichever request or job settled it.
   */
  private underItsRequestId<T>(w: LockedWithdrawal, fn: () => Promise<T>): Promise<T> {
    return w.requestId ? runWithRequestId(w.requestId, fn) : fn();
  }

  private post(m: EntityManager, w: LockedWithdrawal, passkey?: PasskeyProof): Promise<void> {
    return this.underItsRequestId(w, () => this.postUnder(m, w, passkey));
  }

  private async postUnder(m: EntityManager, w: LockedWithdrawal, passkey?: PasskeyProof): Promise<void> {
    // Postgres refuses this unless three approvals match the current digest (ledger_three_of_three).
    const { transferId, at: postedAt } = await this.ledger.post(m, w.id);
    // The status, its audit entry and the wallet's and the customer's jobs: one statement.
    await this.withdrawals.markPosted(m, w.id, [
      this.audit.entryChange({ event: 'withdrawal_posted', userId: w.userId, withdrawalId: w.id }),
      this.outbox.addChange(m, [
        {
          queue: QueueName.WithdrawalsPosted,
          name: 'withdrawal-posted',
          jobId: w.id,
          data: {
            withdrawalId: w.id,
            transferId,
            userId: w.userId,
            asset: w.asset,
            network: w.network,
            amount: formatAmount(w.amount),
            address: w.address,
            postedAt: postedAt.toISOString(),
            fee: formatAmount(w.fee),
            ...(passkey ? { passkey } : {}),
          },
        },
        this.outcomeEmail(w.id),
      ]),
    ]);
    logger.log(`withdrawal ${w.id} posted`);
  }

  private outcomeEmail(withdrawalId: string) {
    return { queue: QueueName.Notifications, name: 'send-outcome-email', jobId: jobId('outcome', withdrawalId), data: { withdrawalId } } as const;
  }
}
