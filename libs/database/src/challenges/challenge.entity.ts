import { TokenFactor } from '@app/domain';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An email or push challenge of one withdrawal (per device for push): the raw token lives only in the message. */
@Entity({ name: 'challenges' })
export class ChallengeEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'withdrawal_id', type: 'uuid' }) withdrawalId: string;
  @Column({ type: 'text' }) factor: TokenFactor;
  @Column({ name: 'subscription_id', type: 'uuid', nullable: true }) subscriptionId: string | null;
  /** SHA-256 of the token. */
  @Column({ name: 'token_hash', type: 'bytea', nullable: true }) tokenHash: Buffer | null;
  /** The withdrawal's digest when the challenge was made: what the customer was shown. */
  @Column({ type: 'bytea' }) digest: Buffer;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt: Date;
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true }) sentAt: Date | null;
  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true }) consumedAt: Date | null;
  /** A delivery in progress owns the challenge until this lease runs out. */
  @Column({ name: 'claimed_at', type: 'timestamptz', nullable: true }) claimedAt: Date | null;
}
