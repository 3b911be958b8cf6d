import { formatAmount } from '@app/ledger';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { WithdrawalDetails } from '../mail/mail-templates';

export interface WithdrawalForMessage extends WithdrawalDetails {
  user_id: string;
  digest: Buffer;
  email: string | null;
  email_verified: boolean;
}

/** What a message about a withdrawal shows, read fresh from Postgres for every delivery. */
@Injectable()
export class WithdrawalReader {
  async read(m: EntityManager, withdrawalId: string): Promise<WithdrawalForMessage | undefined> {
    const [row] = await m.query(
      `SELECT w.id, w.user_id, w.asset, w.network, w.amount::text AS amount, w.address, w.digest, w.status, w.reason,
              w.created_at, w.expires_at, u.email, u.email_verified_at IS NOT NULL AS email_verified
         FROM withdrawals w JOIN users u ON u.id = w.user_id WHERE w.id = $1`,
      [withdrawalId],
    );
    return row ? { ...row, amount: formatAmount(row.amount) } : undefined;
  }

  isOpen(w: WithdrawalForMessage): boolean {
    return w.status === 'pending_confirmation' && w.expires_at.getTime() > Date.now();
  }
}
