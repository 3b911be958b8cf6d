import { AppConfig, APP_CONFIG } from '@app/config';
import { RelatedWithdrawal, WithdrawalRiskRepository, WithdrawalRiskView } from '@app/database';
import { ANOMALY_KINDS, AnomalyKind, formatAmount, HOLD_REASONS, HoldReason } from '@app/domain';
import { Inject, Injectable } from '@nestjs/common';
import { OperatorWithdrawalView } from '../withdrawals/withdrawal.dto';
import { ReviewItem, WithdrawalRiskDocument } from './risk.dto';

const KIND_OF_REASON: Partial<Record<HoldReason, AnomalyKind>> = {
  anomaly_ip: 'ip',
  anomaly_device: 'device',
  anomaly_destination: 'destination',
};

/** The review queue's enrichment: each withdrawal's hold reason, its keys and who else shares them. */
@Injectable()
export class RiskReview {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly risk: WithdrawalRiskRepository,
  ) {}

  async enrich(items: OperatorWithdrawalView[]): Promise<ReviewItem[]> {
    // Related withdrawals are looked for within the anomaly window, or a day when anomaly holds are off.
    const windowMs = this.config.risk.anomalyWindowMs || 24 * 3600_000;
    const views = new Map(
      (
        await this.risk.views(
          items.map((i) => i.id),
          windowMs,
        )
      ).map((v) => [v.withdrawalId, v]),
    );
    return items.map((item) => {
      const view = views.get(item.id);
      return { ...item, risk: view ? document(item.reason, view) : null };
    });
  }
}

function document(withdrawalReason: string | null, view: WithdrawalRiskView): WithdrawalRiskDocument {
  const reason = (HOLD_REASONS as readonly string[]).includes(withdrawalReason ?? '') ? (withdrawalReason as HoldReason) : null;
  const keys: Record<AnomalyKind, string | null> = { ip: view.ipKey, device: view.deviceKey, destination: view.destinationKey };
  const kind = reason ? KIND_OF_REASON[reason] : undefined;
  const related = Object.fromEntries(ANOMALY_KINDS.map((k) => [k, view.related[k].map(relatedDocument)])) as WithdrawalRiskDocument['related'];
  return {
    reason,
    key: kind ? { kind, value: keys[kind] ?? '' } : null,
    keys,
    distinctAccounts: view.distinctAccounts,
    related,
  };
}

function relatedDocument(r: RelatedWithdrawal) {
  return { ...r, amount: formatAmount(r.amount), createdAt: new Date(r.createdAt).toISOString() };
}
