import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An allow-listed destination; usable only after its cooling-off. */
@Entity({ name: 'withdrawal_addresses' })
export class WithdrawalAddressEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'user_id', type: 'text' }) userId: string;
  @Column({ type: 'text' }) asset: string;
  @Column({ type: 'text' }) network: string;
  @Column({ type: 'text' }) address: string;
  @Column({ type: 'text' }) label: string;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt: Date;
  @Column({ name: 'usable_at', type: 'timestamptz' }) usableAt: Date;
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true }) deletedAt: Date | null;
}
