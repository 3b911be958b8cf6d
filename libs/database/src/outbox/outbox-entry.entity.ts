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
  /** The app whose role wrote it: set by Postgres, which also checks that app may produce the job. */
  @Column({ type: 'text', insert: false }) producer: string;
  @Column({ type: 'integer', insert: false }) attempts: number;
  @Column({ name: 'last_error', type: 'text', nullable: true, insert: false }) lastError: string | null;
  /** Set aside after failing to publish while Redis answered: never retried ahead of others. */
  @Column({ name: 'failed_at', type: 'timestamptz', nullable: true, insert: false }) failedAt: Date | null;
}
