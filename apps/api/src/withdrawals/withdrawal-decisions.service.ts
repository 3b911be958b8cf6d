import { Injectable } from '@nestjs/common';
import { VerdictClient } from '../http/verdict-client';
import { WithdrawalStatusDocument } from './withdrawal.dto';
import { WithdrawalStatusService } from './withdrawal-status.service';

/** A customer's TOTP code and cancellation: relayed to the confirmation service, answered with the new status. */
@Injectable()
export class WithdrawalDecisions {
  constructor(
    private readonly verdicts: VerdictClient,
    private readonly status: WithdrawalStatusService,
  ) {}

  async submitTotp(userId: string, withdrawalId: string, code: string): Promise<WithdrawalStatusDocument> {
    await this.verdicts.ask('verify-totp', { userId, withdrawalId }, { code });
    return this.status.forOwner(userId, withdrawalId);
  }

  async cancel(userId: string, withdrawalId: string): Promise<WithdrawalStatusDocument> {
    await this.verdicts.ask('cancel-withdrawal', { userId, withdrawalId });
    return this.status.forOwner(userId, withdrawalId);
  }
}
