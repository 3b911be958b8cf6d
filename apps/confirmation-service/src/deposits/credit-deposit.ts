import { JwtVerifier } from '@app/crypto';
import { appendAudit, PG, postgresError } from '@app/database';
import { LedgerRepository } from '@app/ledger';
import { Verdict } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * Credits an operator's deposit, once per reference. The API only relays: the operator's own token is
 * checked here, so neither the API's database credential nor a job forged into Redis can mint money
 * (with JWT_PUBLIC_KEY; a shared JWT_SECRET is known to the API too).
 */
@Injectable()
export class CreditDeposit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly verifier: JwtVerifier,
    private readonly ledger: LedgerRepository,
  ) {}

  async execute(input: { operatorToken: string; userId: string; asset: string; amount: string; reference: string }): Promise<Verdict> {
    const operator = await this.verifier.verify(input.operatorToken);
    if (!operator?.roles.includes('operator')) return { ok: false, code: 'forbidden', detail: 'operators only' };
    try {
      return await this.dataSource.transaction(async (m): Promise<Verdict> => {
        const result = await this.ledger.creditDeposit(m, input);
        if (result.created) {
          await appendAudit(m, {
            actor: `operator:${operator.id}`,
            event: 'deposit_credited',
            userId: input.userId,
            detail: { reference: input.reference, asset: input.asset, amount: input.amount },
          });
        }
        return { ok: true, transferId: result.transferId, created: result.created };
      });
    } catch (error) {
      const pg = postgresError(error);
      if (pg?.code === PG.uniqueViolation && pg.constraint === 'ledger_deposit_reference_conflict') {
        return { ok: false, code: 'idempotency_conflict', detail: 'this reference was used for another deposit' };
      }
      throw error;
    }
  }
}
