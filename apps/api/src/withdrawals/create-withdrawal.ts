import { APP_CONFIG, AppConfig } from '@app/config';
import { newMatchCode } from '@app/crypto';
import { appendAudit, PG, postgresError } from '@app/database';
import { LedgerRepository } from '@app/ledger';
import { OutboxRelay, QueueName, writeOutbox } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CustomerRepository } from '../customers/customer.repository';
import { Problem } from '../problems/problem';
import { ACTOR } from '../security/security.service';
import { WithdrawalStatusDocument, WithdrawalStatusReader } from './withdrawal-status';

export interface CreateWithdrawalInput {
  userId: string;
  idempotencyKey: string;
  addressId: string;
  amount: string;
  requestIp: string;
}

/**
 * Accepts a withdrawal: checks the customer's standing, then inserts it and places its hold in one
 * transaction — Postgres refuses a hold beyond the available balance, so concurrent requests can
 * never over-reserve — and records its challenge and expiry jobs in the outbox of that transaction.
 */
@Injectable()
export class CreateWithdrawal {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly customers: CustomerRepository,
    private readonly ledger: LedgerRepository,
    private readonly status: WithdrawalStatusReader,
    private readonly relay: OutboxRelay,
  ) {}

  async execute(input: CreateWithdrawalInput): Promise<WithdrawalStatusDocument> {
    const requestHash = createHash('sha256').update(JSON.stringify([input.addressId, input.amount])).digest();
    const replay = await this.replay(input, requestHash);
    if (replay) return replay;
    const [pause] = await this.dataSource.query('SELECT reason FROM withdrawal_pause');
    if (pause) throw new Problem('withdrawals_paused', 'withdrawals are paused by the operators; try again later');
    const customer = await this.customers.ensure(input.userId);
    if (customer.withdrawals_frozen_at) throw new Problem('account_frozen', 'an operator must unfreeze withdrawals on this account');
    if (customer.withdrawals_locked_until && customer.withdrawals_locked_until.getTime() > Date.now()) {
      throw new Problem('security_lock', `withdrawals are possible again at ${customer.withdrawals_locked_until.toISOString()}`);
    }
    await this.assertFactorsEnrolled(input.userId, customer.email_verified_at !== null);
    const address = await this.address(input.userId, input.addressId);

    let id: string;
    try {
      id = await this.dataSource.transaction(async (m) => {
        const match = newMatchCode();
        const expiresAt = new Date(Date.now() + this.config.confirmationWindowMs);
        const [w] = await m.query(
          `INSERT INTO withdrawals (user_id, address_id, asset, network, address, amount, match_code, match_choices,
                                    idempotency_key, request_hash, request_ip, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
          [input.userId, address.id, address.asset, address.network, address.address, input.amount, match.code, match.choices,
           input.idempotencyKey, requestHash, input.requestIp, expiresAt],
        );
        await this.ledger.reserve(m, w.id);
        await writeOutbox(m, [
          { queue: QueueName.Notifications, name: 'send-withdrawal-challenges', jobId: `challenges-${w.id}`, data: { withdrawalId: w.id } },
          { queue: QueueName.Confirmations, name: 'expire-withdrawal', jobId: `expire-${w.id}`, data: { withdrawalId: w.id }, runAt: expiresAt },
        ]);
        await appendAudit(m, { actor: ACTOR, event: 'withdrawal_requested', userId: input.userId, withdrawalId: w.id, detail: { ip: input.requestIp } });
        return w.id as string;
      });
    } catch (error) {
      const pg = postgresError(error);
      if (pg?.code === PG.checkViolation && pg.constraint === 'ledger_accounts_no_overdraft') throw new Problem('insufficient_funds');
      if (pg?.code === PG.checkViolation && pg.constraint === 'ledger_account_frozen') throw new Problem('account_frozen');
      if (pg?.code === PG.uniqueViolation && pg.constraint === 'withdrawals_user_id_idempotency_key_key') {
        const raced = await this.replay(input, requestHash);
        if (raced) return raced;
      }
      throw error;
    }
    this.relay.kick();
    return (await this.status.forOwner(input.userId, id))!;
  }

  /** The same key and body answer as the first time; the same key with another body is a conflict. */
  private async replay(input: CreateWithdrawalInput, requestHash: Buffer): Promise<WithdrawalStatusDocument | undefined> {
    const [existing] = await this.dataSource.query(
      'SELECT id, request_hash FROM withdrawals WHERE user_id = $1 AND idempotency_key = $2',
      [input.userId, input.idempotencyKey],
    );
    if (!existing) return undefined;
    if (!requestHash.equals(existing.request_hash)) throw new Problem('idempotency_conflict');
    return this.status.forOwner(input.userId, existing.id);
  }

  private async assertFactorsEnrolled(userId: string, emailVerified: boolean): Promise<void> {
    const [{ totp, devices }] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM totp_enrolments WHERE user_id = $1 AND status = 'active') AS totp,
              (SELECT count(*)::int FROM push_subscriptions WHERE user_id = $1 AND retired_at IS NULL) AS devices`,
      [userId],
    );
    const missing = [!emailVerified && 'a verified email', !totp && 'an active authenticator', devices === 0 && 'a push device'].filter(Boolean);
    if (missing.length) throw new Problem('factor_not_enrolled', `withdrawals need ${missing.join(', ')}`);
  }

  private async address(userId: string, addressId: string) {
    const [address] = await this.dataSource.query(
      `SELECT id, asset, network, address, usable_at FROM withdrawal_addresses
        WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL`,
      [addressId, userId],
    );
    if (!address) throw new Problem('address_not_whitelisted');
    if (address.usable_at.getTime() > Date.now()) {
      throw new Problem('address_cooling_off', `the address is usable from ${address.usable_at.toISOString()}`);
    }
    return address as { id: string; asset: string; network: string; address: string };
  }
}
