import { Decision, TokenFactor } from '@app/domain';
import { Injectable } from '@nestjs/common';
import { VerdictClient } from '../http/verdict-client';

/** An email or push decision, relayed: the confirmation service decides, and says which factor it was. */
@Injectable()
export class ConfirmationsService {
  constructor(private readonly verdicts: VerdictClient) {}

  async decide(token: string, decision: Decision, matchCode?: string): Promise<{ factor: TokenFactor; status: string }> {
    const verdict = await this.verdicts.ask('decide-token', {}, { token, decision, ...(matchCode ? { matchCode } : {}) });
    return { factor: verdict.factor as TokenFactor, status: verdict.status! };
  }
}
