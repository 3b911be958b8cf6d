import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The keys a withdrawal was counted under by the anomaly holds, and how many distinct customers each had then. */
@Entity({ name: 'withdrawal_risk' })
export class WithdrawalRiskEntity {
  @PrimaryColumn({ name: 'withdrawal_id', type: 'uuid' }) withdrawalId: string;
  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false }) createdAt: Date;
  /** The requesting address as counted: IPv4 as it is, IPv6 by its /64. */
  @Column({ name: 'ip_key', type: 'text', nullable: true }) ipKey: string | null;
  /** The frontend's X-Device-Id, when it sent one. */
  @Column({ name: 'device_key', type: 'text', nullable: true }) deviceKey: string | null;
  /** `network:address`, case folded where the address's encoding ignores case. */
  @Column({ name: 'destination_key', type: 'text' }) destinationKey: string;
  @Column({ name: 'distinct_accounts', type: 'jsonb' }) distinctAccounts: Record<string, number>;
}

/** When each operators' alert key was last mailed: once per window however many withdrawals it concerns. */
@Entity({ name: 'risk_alerts' })
export class RiskAlertEntity {
  @PrimaryColumn({ type: 'text' }) key: string;
  @Column({ name: 'alerted_at', type: 'timestamptz' }) alertedAt: Date;
}
