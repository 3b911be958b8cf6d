import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A message sent at most once per key (outcome emails, alerts), whatever the deliveries of its job. */
@Entity({ name: 'sent_notifications' })
export class SentNotificationEntity {
  @PrimaryColumn({ type: 'text' }) key: string;
  /** Null while an outcome email's delivery holds the key's lease (leased_until). */
  @Column({ name: 'sent_at', type: 'timestamptz', insert: false, update: false }) sentAt: Date | null;
  @Column({ name: 'leased_until', type: 'timestamptz', insert: false, update: false }) leasedUntil: Date | null;
}
