import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A job recorded in the transaction that implies it, published to BullMQ after the commit. */
@Entity({ name: 'outbox' })
export class OutboxEntryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ type: 'text' }) queue: string;
  @Column({ type: 'text' }) name: string;
  @Column({ name: 'job_id', type: 'text' }) jobId: string;
  @Column({ type: 'jsonb' }) data: object;
  @Column({ name: 'run_at', type: 'timestamptz', nullable: true }) runAt: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt: Date;
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true }) publishedAt: Date | null;
}
