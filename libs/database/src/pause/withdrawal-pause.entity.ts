import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The global kill switch: one row, present while withdrawals are paused. */
@Entity({ name: 'withdrawal_pause' })
export class WithdrawalPauseEntity {
  @PrimaryColumn({ type: 'boolean', insert: false }) singleton: boolean;
  @Column({ name: 'paused_at', type: 'timestamptz' }) pausedAt: Date;
  @Column({ name: 'paused_by', type: 'text' }) pausedBy: string;
  @Column({ type: 'text' }) reason: string;
}
