import { AuditRepository, Transactions, WithdrawalPauseRepository } from '@app/database';
import { jobId, Outbox, QueueName } from '@app/queue';
import { Injectable } from '@nestjs/common';
import { RiskControls } from '../risk/risk-controls';
import { PauseState } from './operators.dto';

/** The global kill switch: while paused, no withdrawal is accepted and none posts; confirmations are still recorded. */
@Injectable()
export class WithdrawalPauseService {
  constructor(
    private readonly transactions: Transactions,
    private readonly pauses: WithdrawalPauseRepository,
    private readonly outbox: Outbox,
    private readonly audit: AuditRepository,
    private readonly risk: RiskControls,
  ) {}

  async pause(operatorId: string, reason: string): Promise<PauseState> {
    await this.transactions.run(async (m) => {
      await this.pauses.pause(m, operatorId, reason);
      await this.audit.append(m, { operatorId, event: 'withdrawals_paused', detail: { reason } });
    });
    return this.state();
  }

  /**
   * Lifts the pause, the operators' or the automatic one; what was confirmed meanwhile is posted by the
   * confirmation service, and the automatic pause counts requests afresh from here.
   */
  async resume(operatorId: string): Promise<PauseState> {
    const resumedAt = new Date().toISOString();
    await this.risk.resumed();
    await this.transactions.run(async (m) => {
      if (!(await this.pauses.resume(m))) return;
      await this.audit.append(m, { operatorId, event: 'withdrawals_resumed' });
      await this.outbox.add(m, [
        { queue: QueueName.Confirmations, name: 'resume-withdrawals', jobId: jobId('resume', Date.parse(resumedAt)), data: { resumedAt } },
      ]);
    });
    return this.state();
  }

  async state(): Promise<PauseState> {
    const pause = await this.pauses.current();
    if (!pause) return { paused: false, reason: null, by: null, since: null, pausedAt: null, pausedBy: null };
    const since = pause.pausedAt.toISOString();
    return { paused: true, reason: pause.reason, by: pause.pausedBy, since, pausedAt: since, pausedBy: pause.pausedBy };
  }
}
