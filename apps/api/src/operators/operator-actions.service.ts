import { isPositiveAmount, WithdrawalStatus } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { OPERATOR_PAGE_SIZE } from '../api-constants';
import { Problem } from '../http/problem';
import { VerdictClient } from '../http/verdict-client';
import { ReviewItem } from '../risk/risk.dto';
import { RiskReview } from '../risk/risk-review';
import { OperatorWithdrawalView, Page } from '../withdrawals/withdrawal.dto';
import { WithdrawalStatusService } from '../withdrawals/withdrawal-status.service';
import { DepositDto, DepositResult } from './operators.dto';

/** The operator whose action this is, with the token that proves it to the confirmation service. */
export interface OperatorAction {
  operatorId: string;
  operatorToken: string;
}

/**
 * What operators do to withdrawals, accounts and funds. Whatever moves, holds or frees funds or factors is
 * carried out by the confirmation service after it verified the operator's own token (single use); the API
 * relays and reports.
 */
@Injectable()
export class OperatorActionsService {
  constructor(
    private readonly verdicts: VerdictClient,
    private readonly withdrawals: WithdrawalStatusService,
    private readonly riskReview: RiskReview,
  ) {}

  async deposit(by: OperatorAction, body: DepositDto): Promise<{ created: boolean; result: DepositResult }> {
    if (!isPositiveAmount(body.amount)) throw new Problem('validation_failed', 'amount must be a positive decimal string');
    const verdict = await this.verdicts.ask('credit-deposit', { operatorId: by.operatorId, ...body }, { operatorToken: by.operatorToken });
    return { created: verdict.created === true, result: { transferId: verdict.transferId, ...body } };
  }

  /** The review queue: each withdrawal with why it was held and the other withdrawals that share its keys. */
  async review(status: WithdrawalStatus, cursor: string | undefined): Promise<Page<ReviewItem>> {
    const page = await this.withdrawals.listForOperators(status, cursor, OPERATOR_PAGE_SIZE);
    return { ...page, items: await this.riskReview.enrich(page.items) };
  }

  /** A held withdrawal goes on; it still posts only with all three factors. */
  async release(by: OperatorAction, withdrawalId: string): Promise<OperatorWithdrawalView> {
    await this.verdicts.ask('release-withdrawal', { operatorId: by.operatorId, withdrawalId }, { operatorToken: by.operatorToken });
    return this.withdrawals.forOperator(withdrawalId);
  }

  async reject(by: OperatorAction, withdrawalId: string, reason: string): Promise<OperatorWithdrawalView> {
    await this.verdicts.ask('reject-withdrawal', { operatorId: by.operatorId, withdrawalId, reason }, { operatorToken: by.operatorToken });
    return this.withdrawals.forOperator(withdrawalId);
  }

  /** Mass revocation: customers must re-enrol TOTP; open withdrawals are voided. */
  async revokeAllTotp(by: OperatorAction, reason: string): Promise<{ result: string }> {
    const verdict = await this.verdicts.ask('revoke-all-totp', { operatorId: by.operatorId, reason }, { operatorToken: by.operatorToken });
    return { result: verdict.status ?? 'done' };
  }

  async freeze(by: OperatorAction, userId: string, reason: string): Promise<void> {
    await this.verdicts.ask('freeze-account', { operatorId: by.operatorId, userId, reason }, { operatorToken: by.operatorToken });
  }

  async unfreeze(by: OperatorAction, userId: string): Promise<void> {
    await this.verdicts.ask('unfreeze-account', { operatorId: by.operatorId, userId }, { operatorToken: by.operatorToken });
  }
}
