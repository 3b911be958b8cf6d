import { AnomalyCounts, AnomalyKind, HoldReason } from '@app/domain';
import { OperatorWithdrawalView } from '../withdrawals/withdrawal.dto';

/** Another withdrawal sharing a key with the one under review. */
export interface RelatedWithdrawalDocument {
  id: string;
  userId: string;
  status: string;
  asset: string;
  amount: string;
  createdAt: string;
}

/** Why a withdrawal was held and what shares its keys: what an operator decides a release or reject on. */
export interface WithdrawalRiskDocument {
  /** The hold reason, when the withdrawal was held by the risk controls. */
  reason: HoldReason | null;
  /** The anomaly key that held it: what was shared, and its value. */
  key: { kind: AnomalyKind; value: string } | null;
  /** Every key it was counted under: the requesting address (an IPv6 one by its /64), the device, `network:address`. */
  keys: Record<AnomalyKind, string | null>;
  /** Distinct customers per key when it was requested, its own customer included. */
  distinctAccounts: AnomalyCounts;
  /** Per key, the other withdrawals that share it within ANOMALY_WINDOW of this one (oldest first, at most 50). */
  related: Record<AnomalyKind, RelatedWithdrawalDocument[]>;
}

/** A withdrawal in the operators' review queue. */
export type ReviewItem = OperatorWithdrawalView & { risk: WithdrawalRiskDocument | null };
