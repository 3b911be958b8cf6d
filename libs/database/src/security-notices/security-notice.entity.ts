import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const SECURITY_CHANGES = ['email', 'totp', 'push-device', 'address', 'passkey', 'anti-phishing-code'] as const;
export type SecurityChange = (typeof SECURITY_CHANGES)[number];

/** A factor or address change of a customer, announced on the channels the customer had before it. */
@Entity({ name: 'security_notices' })
export class SecurityNoticeEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'user_id', type: 'text' }) userId: string;
  @Column({ type: 'text' }) change: SecurityChange;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt: Date;
  /** The customer said "this wasn't me" from one of its messages. */
  @Column({ name: 'reported_at', type: 'timestamptz', nullable: true }) reportedAt: Date | null;
}

/** One message of a notice (the old email address, or one of the other devices), with its own link. */
@Entity({ name: 'notice_deliveries' })
export class NoticeDeliveryEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'notice_id', type: 'uuid' }) noticeId: string;
  @Column({ type: 'text' }) channel: 'email' | 'push';
  @Column({ type: 'text', nullable: true }) email: string | null;
  @Column({ name: 'subscription_id', type: 'uuid', nullable: true }) subscriptionId: string | null;
  /** SHA-256 of the "this wasn't me" link's token: the token lives only in the message. */
  @Column({ name: 'token_hash', type: 'bytea', nullable: true }) tokenHash: Buffer | null;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt: Date;
  @Column({ name: 'claimed_at', type: 'timestamptz', nullable: true }) claimedAt: Date | null;
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true }) sentAt: Date | null;
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true }) usedAt: Date | null;
}
