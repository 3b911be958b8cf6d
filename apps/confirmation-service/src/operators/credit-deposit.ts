import { JwtVerifier } from '@app/crypto';
import { AuditRepository, LedgerRepository, Transactions } from '@app/database';
import { problem, Verdict } from '@app/domain';
import { Injectable } from '@nestjs/common';

/**
 * Credits an operator's deposit, once per reference. The API only relays: the operator's own token is
 * checked here, so neither the API's database credential nor a job forged into Redis can mint money
 * (with JWT_PUBLIC_KEY; a shared JWT_SECRET is known to the API too).
 */
@Injectable()
export class CreditDeposit {
  constructor(
    private readonly transactions: Transactions,
    private readonly verifier: JwtVerifier,
    private readonly ledger: LedgerRepository,
    private readonly audit: AuditRepository,
  ) {}

  async execute(input: { operatorToken: string; userId: string; asset: string; amount: string; reference: string }): Promise<Verdict> {
    const operator = await this.verifier.verify(input.operatorToken);
    if (!operator?.roles.includes('operator')) return problem('forbidden', 'operators only');
    try {
      return await this.transactions.run(async (m): Promise<Verdict> => {
        const result = await this.ledger.creditDeposit(m, input);
        if (result.created) {
          await this.audit.append(m, {
            operatorId: operator.id,
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
