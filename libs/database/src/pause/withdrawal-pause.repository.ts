import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Repository } from '../repository';
import { WithdrawalPauseEntity } from './withdrawal-pause.entity';

export type WithdrawalPause = Pick<WithdrawalPauseEntity, 'reason' | 'pausedAt' | 'pausedBy'>;

/** `withdrawal_pause`: the global kill switch, one row while withdrawals are paused. */
@Injectable()
export class WithdrawalPauseRepository extends Repository {
  async current(m?: EntityManager): Promise<WithdrawalPause | undefined> {
    return this.row<WithdrawalPause>('SELECT reason, paused_at AS "pausedAt", paused_by AS "pausedBy" FROM withdrawal_pause', undefined, m);
  }

  async pause(m: EntityManager, by: string, reason: string): Promise<void> {
    await m.query(
      `INSERT INTO withdrawal_pause (paused_by, reason) VALUES ($1, $2)
         ON CONFLICT (singleton) DO UPDATE SET paused_by = EXCLUDED.paused_by, reason = EXCLUDED.reason, paused_at = now()`,
      [by, reason],
    );
  }

  /** The automatic pause: pauses unless withdrawals are paused already (an operator's pause stays theirs); true when it did. */
  async pauseAutomatically(m: EntityManager, reason: string): Promise<boolean> {
    const rows = await this.rows<{ singleton: boolean }>(
      `INSERT INTO withdrawal_pause (paused_by, reason) VALUES ('automatic', $1) ON CONFLICT (singleton) DO NOTHING RETURNING singleton`,
      [reason],
      m,
    );
    return rows.length > 0;
  }

  /** Lifts the pause; false when withdrawals were not paused. */
  async resume(m: EntityManager): Promise<boolean> {
    const rows = await this.updateReturning<{ singleton: boolean }>(m, 'DELETE FROM withdrawal_pause RETURNING singleton', []);
    return rows.length > 0;
  }
}
