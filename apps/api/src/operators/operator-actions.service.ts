import { AuditRepository, CustomerRepository, Transactions } from '@app/database';
import { isPositiveAmount, WithdrawalStatus } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { OPERATOR_PAGE_SIZE } from '../api-constants';
import { Problem } from '../http/problem';
import { VerdictClient } from '../http/verdict-client';
import { OperatorWithdrawalView, Page } from '../withdrawals/withdrawal.dto';
import { WithdrawalStatusService } from '../withdrawals/withdrawal-status.service';
import { DepositDto, DepositResult } from './operators.dto';

/**
 * What operators do to withdrawals, accounts and funds. Whatever moves money or a factor is carried out
 * by the confirmation service; the API relays and reports.
 */
@Injectable()
export class OperatorActionsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly customers: CustomerRepository,
    private readonly audit: AuditRepository,
    private readonly verdicts: VerdictClient,
    private readonly withdrawals: WithdrawalStatusService,
  ) {}

  /** The API cannot credit: it relays the operator's own token to the confirmation service, which checks it. */
  async deposit(operatorToken: string, body: DepositDto): Promise<{ created: boolean; result: DepositResult }> {
    if (!isPositiveAmount(body.amount)) throw new Problem('validation_failed', 'amount must be a positive decimal string');
    const verdict = await this.verdicts.ask({ name: 'credit-deposit', data: { operatorToken, ...body } });
    return { created: verdict.created === true, result: { transferId: verdict.transferId, ...body } };
  }

  review(status: WithdrawalStatus, cursor: string | undefined): Promise<Page<OperatorWithdrawalView>> {
    return this.withdrawals.listForOperators(status, cursor, OPERATOR_PAGE_SIZE);
  }

  /** A held withdrawal goes on; it still posts only with all three factors. */
  async release(operatorId: string, withdrawalId: string): Promise<OperatorWithdrawalView> {
    await this.verdicts.ask({ name: 'release-withdrawal', data: { operatorId, withdrawalId } });
    return this.withdrawals.forOperator(withdrawalId);
  }

  async reject(operatorId: string, withdrawalId: string, reason: string): Promise<OperatorWithdrawalView> {
    await this.verdicts.ask({ name: 'reject-withdrawal', data: { operatorId, withdrawalId, reason } });
    return this.withdrawals.forOperator(withdrawalId);
  }

  /** Mass revocation: customers must re-enrol TOTP; open withdrawals are voided. */
  async revokeAllTotp(operatorId: string, reason: string): Promise<{ result: string }> {
    const verdict = await this.verdicts.ask({ name: 'revoke-all-totp', data: { operatorId, reason } });
    return { result: verdict.status ?? 'done' };
  }

  async setFrozen(operatorId: string, userId: string, reason: string | null): Promise<void> {
    await this.transactions.run(async (m) => {
      if (!(await this.customers.setFrozen(m, userId, reason))) throw new Problem('not_found');
      await this.audit.append(m, { operatorId, event: reason ? 'account_frozen' : 'account_unfrozen', userId, detail: reason ? { reason } : {} });
    });
  }
}
