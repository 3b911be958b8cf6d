import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A pending change of email address: verified by the link sent to the new address. */
@Entity({ name: 'email_verifications' })
export class EmailVerificationEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'user_id', type: 'text' }) userId: string;
  @Column({ type: 'text' }) email: string;
  @Column({ name: 'token_hash', type: 'bytea', nullable: true }) tokenHash: Buffer | null;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt: Date;
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true }) sentAt: Date | null;
  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true }) consumedAt: Date | null;
  /** A newer link was sent or used: this one no longer works. */
  @Column({ name: 'superseded_at', type: 'timestamptz', nullable: true }) supersededAt: Date | null;
}
