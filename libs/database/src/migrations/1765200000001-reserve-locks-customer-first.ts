import { MigrationInterface, QueryRunner } from 'typeorm';

const RESERVE = (lockCustomer: boolean) => `
      CREATE OR REPLACE FUNCTION ledger_reserve(p_withdrawal uuid) RETURNS uuid
        LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        ${lockCustomer ? 'SELECT 1 FROM users WHERE id = (SELECT user_id FROM withdrawals WHERE id = p_withdrawal) FOR KEY SHARE;' : ''}
        -- The guard fills in accounts, asset and amount from the withdrawal itself.
        INSERT INTO ledger_transfers (kind, withdrawal_id) VALUES ('pending', p_withdrawal) RETURNING id
      $$`;

/**
 * A hold takes its customer's row (FOR KEY SHARE, the lock the withdrawal's foreign key takes) before the
 * customer's account. Every decision locks the customer FOR UPDATE and then, posting, the account: one
 * order. When the withdrawal is inserted in the same statement as its hold (WithdrawalRepository.request),
 * its foreign-key check runs only at the end of that statement, after the hold had locked the account:
 * the reverse order, and a deadlock with a decision on the same customer. Where the insert is a statement
 * of its own, its check has already taken the lock and this one is free.
 */
export class ReserveLocksCustomerFirst1765200000001 implements MigrationInterface {
  name = 'ReserveLocksCustomerFirst1765200000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(RESERVE(true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(RESERVE(false));
  }
}
