import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The append-only audit log: Postgres refuses UPDATE, DELETE and TRUNCATE. */
@Entity({ name: 'audit_events' })
export class AuditEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ type: 'timestamptz', insert: false, update: false }) at: Date;
  @Column({ type: 'text' }) actor: string;
  @Column({ type: 'text' }) event: string;
  @Column({ name: 'user_id', type: 'text', nullable: true }) userId: string | null;
  @Column({ name: 'withdrawal_id', type: 'uuid', nullable: true }) withdrawalId: string | null;
  @Column({ type: 'jsonb' }) detail: Record<string, unknown>;
}
