import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type LedgerAccountKind = 'customer' | 'deposits' | 'withdrawals_outbound';
export type LedgerTransferKind = 'posted' | 'pending' | 'post_pending' | 'void_pending';

/** A double-entry account; its balances are kept by trigger from the transfers. */
@Entity({ name: 'ledger_accounts' })
export class LedgerAccountEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ type: 'text' }) kind: LedgerAccountKind;
  @Column({ name: 'user_id', type: 'text', nullable: true }) userId: string | null;
  @Column({ type: 'text' }) asset: string;
  @Column({ name: 'debits_pending', type: 'numeric', precision: 38, scale: 18 }) debitsPending: string;
  @Column({ name: 'debits_posted', type: 'numeric', precision: 38, scale: 18 }) debitsPosted: string;
  @Column({ name: 'credits_pending', type: 'numeric', precision: 38, scale: 18 }) creditsPending: string;
  @Column({ name: 'credits_posted', type: 'numeric', precision: 38, scale: 18 }) creditsPosted: string;
}

/** An immutable transfer (TigerBeetle's two-phase model): a hold is `pending`, later posted or voided once. */
@Entity({ name: 'ledger_transfers' })
export class LedgerTransferEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text' }) kind: LedgerTransferKind;
  @Column({ name: 'debit_account_id', type: 'bigint' }) debitAccountId: string;
  @Column({ name: 'credit_account_id', type: 'bigint' }) creditAccountId: string;
  @Column({ type: 'text' }) asset: string;
  @Column({ type: 'numeric', precision: 38, scale: 18 }) amount: string;
  @Column({ name: 'pending_id', type: 'uuid', nullable: true }) pendingId: string | null;
  @Column({ name: 'withdrawal_id', type: 'uuid', nullable: true }) withdrawalId: string | null;
  @Column({ name: 'deposit_reference', type: 'text', nullable: true }) depositReference: string | null;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt: Date;
}
