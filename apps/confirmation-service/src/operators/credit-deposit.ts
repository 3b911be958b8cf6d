import { AuditRepository, LedgerRepository, Transactions } from '@app/database';
import { problem, Verdict } from '@app/domain';
import { OperatorEvidence } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { OperatorProofs } from './operator-proofs';

/**
 * Credits an operator's deposit, once per reference. The API only relays: the operator's own token is
 * checked here (JWT_PUBLIC_KEY, single use), so neither the API's database credential nor a job forged
 * into Redis nor a token read anywhere can mint money.
 */
@Injectable()
export class CreditDeposit {
  constructor(
    private readonly transactions: Transactions,
    private readonly proofs: OperatorProofs,
    private readonly ledger: LedgerRepository,
    private readonly audit: AuditRepository,
  ) {}

  async execute(
    input: { operatorId: string; userId: string; asset: string; amount: string; reference: string } & OperatorEvidence,
  ): Promise<Verdict> {
    try {
      return await this.transactions.run(async (m): Promise<Verdict> => {
        const refused = await this.proofs.accept(m, 'credit-deposit', input.operatorId, input.operatorToken);
        if (refused) return refused;
        const result = await this.ledger.creditDeposit(m, input);
        if (result.created) {
          await this.audit.append(m, {
            operatorId: input.operatorId,
            event: 'deposit_credited',
            userId: input.userId,
            detail: { reference: input.reference, asset: input.asset, amount: input.amount },
          });
        }
        return { ok: true, transferId: result.transferId, created: result.created };
      });
    } catch (error) {
      if (this.ledger.isDepositReferenceConflict(error)) return problem('idempotency_conflict', 'this reference was used for another deposit');
      throw error;
    }
  }
}
