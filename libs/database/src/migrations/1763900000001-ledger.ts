import { MigrationInterface, QueryRunner } from 'typeorm';

/** The ledger's guard as this migration made it (later migrations replace it, and restore it on the way down). */
export const LEDGER_GUARD_V1 = `
      CREATE OR REPLACE FUNCTION ledger_transfers_guard() RETURNS trigger
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      DECLARE
        w withdrawals;
        hold ledger_transfers;
        debit ledger_accounts;
        credit ledger_accounts;
        approved integer;
      BEGIN
        IF NEW.kind = 'posted' THEN
          -- Single-phase transfers only ever credit a customer from the deposits account.
          SELECT * INTO debit FROM ledger_accounts WHERE id = NEW.debit_account_id;
          SELECT * INTO credit FROM ledger_accounts WHERE id = NEW.credit_account_id;
          IF debit.kind IS DISTINCT FROM 'deposits' OR credit.kind IS DISTINCT FROM 'customer'
             OR debit.asset <> NEW.asset OR credit.asset <> NEW.asset THEN
            RAISE EXCEPTION 'a single-phase transfer must credit a customer from the deposits account'
              USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_single_phase_deposits_only';
          END IF;
          -- Credits come only through ledger_credit_deposit, idempotent by reference: the confirmation
          -- service's INSERT on transfers (it posts and voids holds) must not mint money.
          IF current_user <> (SELECT pg_get_userbyid(proowner) FROM pg_proc
                               WHERE oid = 'ledger_credit_deposit(text, text, numeric, text)'::regprocedure) THEN
            RAISE EXCEPTION 'only ledger_credit_deposit may credit a customer'
              USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'ledger_single_phase_deposits_only';
          END IF;
          RETURN NEW;
        END IF;

        IF NEW.kind = 'pending' THEN
          SELECT * INTO w FROM withdrawals WHERE id = NEW.withdrawal_id;
          IF NOT FOUND OR w.status <> 'pending_confirmation' THEN
            RAISE EXCEPTION 'a hold needs a withdrawal awaiting confirmation'
              USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_hold_needs_open_withdrawal';
          END IF;
          IF EXISTS (SELECT 1 FROM users WHERE id = w.user_id AND withdrawals_frozen_at IS NOT NULL) THEN
            RAISE EXCEPTION 'the account''s withdrawals are frozen'
              USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_account_frozen';
          END IF;
          NEW.debit_account_id := ledger_account_id('customer', w.user_id, w.asset);
          NEW.credit_account_id := ledger_account_id('withdrawals_outbound', NULL, w.asset);
          NEW.asset := w.asset;
          NEW.amount := w.amount + w.fee;
          RETURN NEW;
        END IF;

        -- post_pending or void_pending: a resolution copies its hold exactly.
        SELECT * INTO hold FROM ledger_transfers WHERE id = NEW.pending_id;
        IF NOT FOUND OR hold.kind <> 'pending' THEN
          RAISE EXCEPTION 'a resolution must refer to a pending transfer'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_resolution_needs_hold';
        END IF;
        NEW.debit_account_id := hold.debit_account_id;
        NEW.credit_account_id := hold.credit_account_id;
        NEW.asset := hold.asset;
        NEW.amount := hold.amount;
        NEW.withdrawal_id := hold.withdrawal_id;

        IF NEW.kind = 'post_pending' THEN
          SELECT * INTO w FROM withdrawals WHERE id = hold.withdrawal_id;
          SELECT count(*) INTO approved FROM withdrawal_factors f
            WHERE f.withdrawal_id = w.id AND f.status = 'approved'
              AND f.digest = w.digest AND f.decided_at <= w.expires_at;
          IF approved <> 3 OR w.status NOT IN ('pending_confirmation', 'held') OR hold.amount <> w.amount + w.fee THEN
            RAISE EXCEPTION 'withdrawal % lacks three approved confirmations bound to its current details', w.id
              USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_three_of_three';
          END IF;
        END IF;
        RETURN NEW;
      END $$`;

/**
 * A double-entry ledger after TigerBeetle's two-phase model. Transfers are immutable; a withdrawal's
 * hold is a pending transfer, later posted or voided — at most once — by a transfer that refers to it.
 * Balances are kept on the accounts by trigger, and the no-overdraft rule is a CHECK on them, so
 * concurrent holds serialise on the account row and can never reserve more than was credited.
 * The last guard: Postgres refuses to post a withdrawal without three approved confirmations bound
 * to its current digest, whatever the application does.
 */
export class Ledger1763900000001 implements MigrationInterface {
  name = 'Ledger1763900000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_accounts (
        id bigserial PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('customer', 'deposits', 'withdrawals_outbound')),
        user_id text REFERENCES users(id),
        asset text NOT NULL CHECK (asset ~ '^[A-Z0-9]{2,12}$'),
        debits_pending numeric(38,18) NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
        debits_posted numeric(38,18) NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
        credits_pending numeric(38,18) NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
        credits_posted numeric(38,18) NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
        CONSTRAINT ledger_accounts_owner CHECK ((kind = 'customer') = (user_id IS NOT NULL)),
        CONSTRAINT ledger_accounts_no_overdraft
          CHECK (kind <> 'customer' OR debits_pending + debits_posted <= credits_posted),
        CONSTRAINT ledger_accounts_unique UNIQUE NULLS NOT DISTINCT (kind, user_id, asset)
      );

      CREATE TABLE ledger_transfers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('posted', 'pending', 'post_pending', 'void_pending')),
        debit_account_id bigint NOT NULL REFERENCES ledger_accounts(id),
        credit_account_id bigint NOT NULL REFERENCES ledger_accounts(id),
        asset text NOT NULL,
        amount numeric(38,18) NOT NULL CHECK (amount > 0),
        pending_id uuid REFERENCES ledger_transfers(id),
        withdrawal_id uuid REFERENCES withdrawals(id),
        deposit_reference text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (debit_account_id <> credit_account_id),
        CHECK ((kind IN ('post_pending', 'void_pending')) = (pending_id IS NOT NULL)),
        CHECK (kind = 'posted' OR withdrawal_id IS NOT NULL),
        CHECK ((kind = 'posted') = (deposit_reference IS NOT NULL))
      );
      -- At most one post-or-void per hold, one hold per withdrawal, one deposit per reference.
      CREATE UNIQUE INDEX ledger_transfers_one_resolution ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL;
      CREATE UNIQUE INDEX ledger_transfers_one_hold ON ledger_transfers (withdrawal_id) WHERE kind = 'pending';
      CREATE UNIQUE INDEX ledger_transfers_deposit_reference ON ledger_transfers (deposit_reference)
        WHERE deposit_reference IS NOT NULL;

      CREATE TRIGGER ledger_transfers_immutable BEFORE UPDATE OR DELETE ON ledger_transfers
        FOR EACH ROW EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

      CREATE FUNCTION ledger_account_id(p_kind text, p_user text, p_asset text) RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE account_id bigint;
      BEGIN
        INSERT INTO ledger_accounts (kind, user_id, asset) VALUES (p_kind, p_user, p_asset)
          ON CONFLICT ON CONSTRAINT ledger_accounts_unique DO NOTHING;
        SELECT id INTO STRICT account_id FROM ledger_accounts
          WHERE kind = p_kind AND user_id IS NOT DISTINCT FROM p_user AND asset = p_asset;
        RETURN account_id;
      END $$;

      -- Fills in and checks each transfer before it lands; the three-of-three rule lives here. It runs as
      -- the inserting role (not SECURITY DEFINER), so it can tell an insert made through the ledger's own
      -- functions (current_user is then their owner) from a role's direct INSERT.
      ${LEDGER_GUARD_V1};
      CREATE TRIGGER ledger_transfers_guard BEFORE INSERT ON ledger_transfers
        FOR EACH ROW EXECUTE FUNCTION ledger_transfers_guard();

      -- Applies a transfer to both balances; the debit side first, always, so concurrent writers lock in one order.
      CREATE FUNCTION ledger_transfers_apply() RETURNS trigger
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
      END $$;
      CREATE TRIGGER ledger_transfers_apply AFTER INSERT ON ledger_transfers
        FOR EACH ROW EXECUTE FUNCTION ledger_transfers_apply();

      -- The ledger's two narrow entry points: a withdrawal's hold (the API, at request time) and an
      -- operator's deposit (the confirmation service, once it has checked the operator's own token).
      CREATE FUNCTION ledger_reserve(p_withdrawal uuid) RETURNS uuid
        LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        -- The guard fills in accounts, asset and amount from the withdrawal itself.
        INSERT INTO ledger_transfers (kind, withdrawal_id) VALUES ('pending', p_withdrawal) RETURNING id
      $$;

      CREATE FUNCTION ledger_credit_deposit(p_user text, p_asset text, p_amount numeric, p_reference text)
        RETURNS TABLE (transfer_id uuid, created boolean)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        existing record;
        new_id uuid;
      BEGIN
        INSERT INTO users (id) VALUES (p_user) ON CONFLICT DO NOTHING;
        INSERT INTO ledger_transfers (kind, debit_account_id, credit_account_id, asset, amount, deposit_reference)
          VALUES ('posted', ledger_account_id('deposits', NULL, p_asset), ledger_account_id('customer', p_user, p_asset),
                  p_asset, p_amount, p_reference)
          ON CONFLICT (deposit_reference) WHERE deposit_reference IS NOT NULL DO NOTHING
          RETURNING id INTO new_id;
        IF new_id IS NOT NULL THEN
          RETURN QUERY SELECT new_id, true;
          RETURN;
        END IF;
        SELECT t.id, t.asset, t.amount, a.user_id INTO existing
          FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.credit_account_id
          WHERE t.deposit_reference = p_reference;
        IF existing.user_id <> p_user OR existing.asset <> p_asset OR existing.amount <> p_amount THEN
          RAISE EXCEPTION 'deposit reference already used for another deposit'
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'ledger_deposit_reference_conflict';
        END IF;
        RETURN QUERY SELECT existing.id, false;
      END $$;
      REVOKE EXECUTE ON FUNCTION ledger_reserve(uuid), ledger_credit_deposit(text, text, numeric, text),
        ledger_account_id(text, text, text) FROM PUBLIC;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP FUNCTION ledger_credit_deposit(text, text, numeric, text), ledger_reserve(uuid);
      DROP TABLE ledger_transfers, ledger_accounts;
      DROP FUNCTION ledger_transfers_apply(), ledger_transfers_guard(), ledger_account_id(text, text, text);
    `);
  }
}
