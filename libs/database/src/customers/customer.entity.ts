import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A customer of the exchange (`users`): a row appears the first time one of its tokens is seen. */
@Entity({ name: 'users' })
export class CustomerEntity {
  @PrimaryColumn({ type: 'text' }) id: string;
  @Column({ type: 'text', nullable: true }) email: string | null;
  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true }) emailVerifiedAt: Date | null;
  @Column({ name: 'withdrawals_frozen_at', type: 'timestamptz', nullable: true }) withdrawalsFrozenAt: Date | null;
  @Column({ name: 'frozen_reason', type: 'text', nullable: true }) frozenReason: string | null;
  @Column({ name: 'withdrawals_locked_until', type: 'timestamptz', nullable: true }) withdrawalsLockedUntil: Date | null;
  /** The customer's last factor or address change: set by Postgres, which locks withdrawals with it. */
  @Column({ name: 'security_changed_at', type: 'timestamptz', nullable: true, insert: false, update: false }) securityChangedAt: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt: Date;
}
