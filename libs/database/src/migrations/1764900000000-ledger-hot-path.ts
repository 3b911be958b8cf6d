import { MigrationInterface, QueryRunner } from 'typeorm';

const ACCOUNT_ID_V1 = `
      CREATE OR REPLACE FUNCTION ledger_account_id(p_kind text, p_user text, p_asset text) RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE account_id bigint;
      BEGIN
        INSERT INTO ledger_accounts (kind, user_id, asset) VALUES (p_kind, p_user, p_asset)
          ON CONFLICT ON CONSTRAINT ledger_accounts_unique DO NOTHING;
        SELECT id INTO STRICT account_id FROM ledger_accounts
          WHERE kind = p_kind AND user_id IS NOT DISTINCT FROM p_user AND asset = p_asset;
        RETURN account_id;
      END $$`;

/**
 * The account lookup as index lookups: \`user_id IS NOT DISTINCT FROM $x\` cannot use the unique index, so
 * every hold read every account. A customer's account is found by \`user_id = $x\`, the system accounts
 * (no owner) by \`user_id IS NULL\`: both index conditions on (kind, user_id, asset). The account is looked
 * up first and created only when missing, so the common case writes nothing and burns no sequence value.
 */
const ACCOUNT_ID_V2 = `
      CREATE OR REPLACE FUNCTION ledger_account_id(p_kind text, p_user text, p_asset text) RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE account_id bigint;
      BEGIN
        FOR attempt IN 1..2 LOOP
          IF p_user IS NULL THEN
            SELECT id INTO account_id FROM ledger_accounts WHERE kind = p_kind AND user_id IS NULL AND asset = p_asset;
          ELSE
            SELECT id INTO account_id FROM ledger_accounts WHERE kind = p_kind AND user_id = p_user AND asset = p_asset;
          END IF;
          IF account_id IS NOT NULL THEN
            RETURN account_id;
          END IF;
          INSERT INTO ledger_accounts (kind, user_id, asset) VALUES (p_kind, p_user, p_asset)
            ON CONFLICT ON CONSTRAINT ledger_accounts_unique DO NOTHING;
        END LOOP;
        RAISE EXCEPTION 'ledger account (%, %, %) could not be created', p_kind, p_user, p_asset;
      END $$`;

const APPLY_V1 = `
      CREATE OR REPLACE FUNCTION ledger_transfers_apply() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        IF NEW.kind = 'posted' THEN
          UPDATE ledger_accounts SET debits_posted = debits_posted + NEW.amount WHERE id = NEW.debit_account_id;
          UPDATE ledger_accounts SET credits_posted = credits_posted + NEW.amount WHERE id = NEW.credit_account_id;
        ELSIF NEW.kind = 'pending' THEN
          UPDATE ledger_accounts SET debits_pending = debits_pending + NEW.amount WHERE id = NEW.debit_account_id;
          UPDATE ledger_accounts SET credits_pending = credits_pending + NEW.amount WHERE id = NEW.credit_account_id;
        ELSIF NEW.kind = 'post_pending' THEN
          UPDATE ledger_accounts SET debits_pending = debits_pending - NEW.amount, debits_posted = debits_posted + NEW.amount
            WHERE id = NEW.debit_account_id;
          UPDATE ledger_accounts SET credits_pending = credits_pending - NEW.amount, credits_posted = credits_posted + NEW.amount
            WHERE id = NEW.credit_account_id;
        ELSE
          UPDATE ledger_accounts SET debits_pending = debits_pending - NEW.amount WHERE id = NEW.debit_account_id;
          UPDATE ledger_accounts SET credits_pending = credits_pending - NEW.amount WHERE id = NEW.credit_account_id;
        END IF;
        RETURN NULL;
      END $$`;

/**
 * Holds and their resolutions update only the customer's row. Their credit side is always the outbound
 * account (the guard sets it on a hold, a resolution copies its hold), one row per asset that every hold
 * and posting used to update: concurrent requests queued on its lock. Its balance is now derived from its
 * transfers (ledger_account_balances), its stored columns stay zero (a CHECK says so), and ledger:verify
 * checks the sums over the derived balances. The customer's row, whose CHECK is the no-overdraft rule,
 * is updated exactly as before.
 */
const APPLY_V2 = `
      CREATE OR REPLACE FUNCTION ledger_transfers_apply() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        IF NEW.kind = 'posted' THEN
          UPDATE ledger_accounts SET debits_posted = debits_posted + NEW.amount WHERE id = NEW.debit_account_id;
          UPDATE ledger_accounts SET credits_posted = credits_posted + NEW.amount WHERE id = NEW.credit_account_id;
        ELSIF NEW.kind = 'pending' THEN
          UPDATE ledger_accounts SET debits_pending = debits_pending + NEW.amount WHERE id = NEW.debit_account_id;
        ELSIF NEW.kind = 'post_pending' THEN
          UPDATE ledger_accounts SET debits_pending = debits_pending - NEW.amount, debits_posted = debits_posted + NEW.amount
            WHERE id = NEW.debit_account_id;
        ELSE
          UPDATE ledger_accounts SET debits_pending = debits_pending - NEW.amount WHERE id = NEW.debit_account_id;
        END IF;
        RETURN NULL;
      END $$`;

export class LedgerHotPath1764900000000 implements MigrationInterface {
  name = 'LedgerHotPath1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(ACCOUNT_ID_V2);
    await q.query(APPLY_V2);
    await q.query(`
      -- Serialise with writers while the outbound rows are zeroed (their balances become derived).
      LOCK TABLE ledger_transfers IN SHARE MODE;
      UPDATE ledger_accounts SET debits_pending = 0, debits_posted = 0, credits_pending = 0, credits_posted = 0
        WHERE kind = 'withdrawals_outbound';
      ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_outbound_derived CHECK (
        kind <> 'withdrawals_outbound' OR (debits_pending = 0 AND debits_posted = 0 AND credits_pending = 0 AND credits_posted = 0));
      -- The outbound account's credits, summed by ledger_account_balances (and by nothing on the hot path).
      CREATE INDEX ledger_transfers_credit_account ON ledger_transfers (credit_account_id) INCLUDE (kind, amount);

      CREATE VIEW ledger_account_balances AS
        SELECT a.id, a.kind, a.user_id, a.asset, a.debits_pending, a.debits_posted,
               CASE WHEN a.kind = 'withdrawals_outbound' THEN coalesce(o.credits_pending, 0) ELSE a.credits_pending END AS credits_pending,
               CASE WHEN a.kind = 'withdrawals_outbound' THEN coalesce(o.credits_posted, 0) ELSE a.credits_posted END AS credits_posted
          FROM ledger_accounts a
          LEFT JOIN LATERAL (
            SELECT sum(CASE t.kind WHEN 'pending' THEN t.amount WHEN 'posted' THEN 0 ELSE -t.amount END) AS credits_pending,
                   sum(CASE WHEN t.kind = 'post_pending' THEN t.amount ELSE 0 END) AS credits_posted
              FROM ledger_transfers t
             WHERE a.kind = 'withdrawals_outbound' AND t.credit_account_id = a.id
          ) o ON true;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP VIEW ledger_account_balances;
      DROP INDEX ledger_transfers_credit_account;
      ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_outbound_derived;
      LOCK TABLE ledger_transfers IN SHARE MODE;
      -- The outbound rows carry their balances again, as the transfers say.
      UPDATE ledger_accounts a SET
          credits_pending = coalesce((SELECT sum(CASE t.kind WHEN 'pending' THEN t.amount ELSE -t.amount END)
                                        FROM ledger_transfers t WHERE t.credit_account_id = a.id AND t.kind <> 'posted'), 0),
          credits_posted = coalesce((SELECT sum(t.amount) FROM ledger_transfers t
                                      WHERE t.credit_account_id = a.id AND t.kind = 'post_pending'), 0)
        WHERE a.kind = 'withdrawals_outbound';
    `);
    await q.query(APPLY_V1);
    await q.query(ACCOUNT_ID_V1);
  }
}
