import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The customer's own phrase, shown in every message and page Countersign sends, so a look-alike without it stands out. */
@Entity({ name: 'anti_phishing_codes' })
export class AntiPhishingCodeEntity {
  @PrimaryColumn({ name: 'user_id', type: 'text' }) userId: string;
  @Column({ type: 'text' }) code: string;
  @Column({ name: 'set_at', type: 'timestamptz', insert: false, update: false }) setAt: Date;
}
