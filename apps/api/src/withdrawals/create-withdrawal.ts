import { APP_CONFIG, AppConfig } from '@app/config';
import { newMatchCode } from '@app/crypto';
import { AuditRepository, CustomerRepository, Transactions, WithdrawalAddress, WithdrawalRepository, WithdrawalRequestFacts } from '@app/database';
import { exceedsAmount, HoldReason } from '@app/domain';
import { currentRequestId } from '@app/logging';
import { jobId, Outbox, QueueName } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Problem } from '../http/problem';
import { RiskControls } from '../risk/risk-controls';
import { WithdrawalStatusDocument } from './withdrawal.dto';
import { WithdrawalStatusService } from './withdrawal-status.service';

export interface CreateWithdrawalInput {
  userId: string;
  idempotencyKey: string;
  addressId: string;
  amount: string;
  requestIp: string;
  /** The frontend's X-Device-Id, when it sent one. */
  deviceId?: string;
}

/**
 * Accepts a withdrawal: checks the customer's standing and the risk controls, then inserts it — held for
 * review when the risk controls say so — and places its hold in one statement (Postgres refuses a hold
 * beyond the available balance, so concurrent requests can never over-reserve), with its challenge and
 * expiry jobs in the outbox, its audit entry and its risk keys. Only a request the risk controls may hold
 * takes a transaction: its velocity is counted under a lock, and a hold's own audit entry and alert go with
 * it. A held withdrawal gets its challenges like any other.
 */
@Injectable()
export class CreateWithdrawal {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly withdrawals: WithdrawalRepository,
    private readonly customers: CustomerRepository,
    private readonly outbox: Outbox,
    private readonly audit: AuditRepository,
    private readonly status: WithdrawalStatusService,
    private readonly risk: RiskControls,
  ) {}

  async execute(input: CreateWithdrawalInput): Promise<WithdrawalStatusDocument> {
    const requestHash = createHash('sha256')
      .update(JSON.stringify([input.addressId, input.amount]))
      .digest();
    // Everything checked before the transaction, read in one statement, and checked in the contract's order.
    const facts = await this.withdrawals.requestFacts(input.userId, input.idempotencyKey, input.addressId);
    if (facts.replay) return this.replay(input, requestHash, facts.replay);
    if (facts.paused) throw new Problem('withdrawals_paused', 'withdrawals are paused by the operators; try again later');
    if (!facts.customerKnown) await this.customers.ensure(input.userId); // customers are made on first sight
    if (facts.withdrawalsFrozen) throw new Problem('account_frozen', 'an operator must unfreeze withdrawals on this account');
    if (facts.withdrawalsLockedUntil && facts.withdrawalsLockedUntil.getTime() > Date.now()) {
      throw new Problem('security_lock', `withdrawals are possible again at ${facts.withdrawalsLockedUntil.toISOString()}`);
    }
    this.assertFactorsEnrolled(facts);
    const address = this.usableAddress(facts.address);
    this.assertPasskeyPolicy(facts.livePasskeys, address.asset, input.amount);
    const riskRequest = {
      userId: input.userId,
      ip: input.requestIp,
      deviceId: input.deviceId,
      asset: address.asset,
      network: address.network,
      address: address.address,
      amount: input.amount,
    };
    const screening = await this.risk.screen(riskRequest);

    const id = randomUUID();
    const expiresAt = new Date(Date.now() + this.config.confirmationWindowMs);
    const match = newMatchCode();
    // The withdrawal, its hold, its two jobs, its audit entry and its risk keys: one statement.
    const request = (m: EntityManager, hold: { reason: HoldReason } | undefined) =>
      this.withdrawals.request(
        m,
        {
          id,
          userId: input.userId,
          addressId: address.id,
          asset: address.asset,
          network: address.network,
          address: address.address,
          amount: input.amount,
          matchCode: match.code,
          matchChoices: match.choices,
          idempotencyKey: input.idempotencyKey,
          requestHash,
          requestIp: input.requestIp,
          requestId: currentRequestId() ?? null,
          expiresAt,
          heldFor: hold?.reason,
        },
        [
          this.outbox.addChange(m, [
            { queue: QueueName.Pushes, name: 'send-withdrawal-challenges', jobId: jobId('challenges', id), data: { withdrawalId: id } },
            { queue: QueueName.Confirmations, name: 'expire-withdrawal', jobId: jobId('expire', id), data: { withdrawalId: id }, runAt: expiresAt },
          ]),
          this.audit.entryChange({
            event: 'withdrawal_requested',
            userId: input.userId,
            withdrawalId: id,
            detail: { ip: input.requestIp, ...(input.deviceId ? { device: input.deviceId } : {}) },
          }),
          this.risk.recordChange(id, screening),
        ],
      );
    try {
      if (this.risk.mayHold(riskRequest, screening)) {
        // A hold is decided with the customer's velocity counted under a lock, and recorded with the withdrawal.
        const created = await this.transactions.run(async (m) => {
          const hold = await this.risk.holdReason(m, riskRequest, screening);
          const view = await request(m, hold);
          if (hold) await this.risk.recordHold(m, id, riskRequest, screening, hold);
          return view;
        });
        return this.status.documentOf(created);
      }
      return this.status.documentOf(await this.transactions.alone((m) => request(m, undefined)));
    } catch (error) {
      switch (this.withdrawals.refusal(error)) {
        case 'insufficient_funds':
          throw new Problem('insufficient_funds');
        case 'account_frozen':
          throw new Problem('account_frozen');
        case 'withdrawals_paused':
          throw new Problem('withdrawals_paused', 'withdrawals are paused by the operators; try again later');
        case 'duplicate_idempotency_key': {
          const raced = await this.withdrawals.findByIdempotencyKey(input.userId, input.idempotencyKey);
          if (raced) return this.replay(input, requestHash, raced);
          throw error;
        }
        case undefined:
          throw error;
      }
    }
  }

  /** The same key and body answer as the first time; the same key with another body is a conflict. */
  private replay(input: CreateWithdrawalInput, requestHash: Buffer, earlier: { id: string; requestHash: Buffer }): Promise<WithdrawalStatusDocument> {
    if (!requestHash.equals(earlier.requestHash)) throw new Problem('idempotency_conflict');
    return this.status.forOwner(input.userId, earlier.id);
  }

  private assertFactorsEnrolled(facts: WithdrawalRequestFacts): void {
    const missing = [
      !facts.emailVerified && 'a verified email',
      !facts.totpActive && 'an active authenticator',
      facts.liveDevices === 0 && 'a push device',
    ].filter(Boolean);
    if (missing.length) throw new Problem('factor_not_enrolled', `withdrawals need ${missing.join(', ')}`);
  }

  /** PASSKEY_REQUIRED_ABOVE: strictly more than the asset's amount needs a passkey (the confirmation service checks again). */
  private assertPasskeyPolicy(livePasskeys: number, asset: string, amount: string): void {
    const limit = this.config.passkeyRequiredAbove[asset];
    if (limit === undefined || !exceedsAmount(amount, limit) || livePasskeys > 0) return;
    throw new Problem('factor_not_enrolled', `withdrawals of more than ${limit} ${asset} need a passkey`, {}, 403);
  }

  private usableAddress(address: WithdrawalAddress | undefined): WithdrawalAddress {
    if (!address) throw new Problem('address_not_whitelisted');
    if (address.usableAt.getTime() > Date.now()) {
      throw new Problem('address_cooling_off', `the address is usable from ${address.usableAt.toISOString()}`);
    }
    return address;
  }
}
