import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type TotpEnrolmentStatus = 'pending' | 'active' | 'revoked';

/** An authenticator; its secret sealed to the confirmation service, the only one that can open it. */
@Entity({ name: 'totp_enrolments' })
export class TotpEnrolmentEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'user_id', type: 'text' }) userId: string;
  @Column({ name: 'sealed_secret', type: 'text', select: false }) sealedSecret: string;
  @Column({ type: 'text', insert: false }) status: TotpEnrolmentStatus;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt: Date;
  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true, insert: false }) activatedAt: Date | null;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true, insert: false }) revokedAt: Date | null;
}

/** A TOTP time step used by a customer: the primary key refuses a second use of the same code. */
@Entity({ name: 'totp_used_steps' })
export class TotpUsedStepEntity {
  @PrimaryColumn({ name: 'user_id', type: 'text' }) userId: string;
  @PrimaryColumn({ type: 'bigint' }) step: string;
  @Column({ name: 'used_at', type: 'timestamptz', insert: false, update: false }) usedAt: Date;
}

@Entity({ name: 'totp_failures' })
export class TotpFailureEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ name: 'user_id', type: 'text' }) userId: string;
  @Column({ name: 'withdrawal_id', type: 'uuid', nullable: true }) withdrawalId: string | null;
  @Column({ name: 'failed_at', type: 'timestamptz', insert: false, update: false }) failedAt: Date;
}
