import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An operator token's single use: the action it proved. */
@Entity({ name: 'operator_token_uses' })
export class OperatorTokenUseEntity {
  @PrimaryColumn({ type: 'text' }) jti: string;
  @Column({ name: 'operator_id', type: 'text' }) operatorId: string;
  @Column({ type: 'text' }) action: string;
  @Column({ name: 'used_at', type: 'timestamptz', insert: false, update: false }) usedAt: Date;
}
