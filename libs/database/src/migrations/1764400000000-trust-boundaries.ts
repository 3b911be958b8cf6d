import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';
import { LEDGER_GUARD_V1 } from './1763900000001-ledger';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** The jobs each app may put in the outbox (queue, job name); consumers also check each job's signature. */
const OUTBOX_PRODUCERS: [app: string, queue: string, name: string][] = [
  ['api', 'notifications', 'send-withdrawal-challenges'],
  ['api', 'confirmations', 'expire-withdrawal'],
  ['api', 'confirmations', 'resume-withdrawals'],
  ['confirmer', 'withdrawals-posted', 'withdrawal-posted'],
  ['confirmer', 'notifications', 'send-outcome-email'],
  ['confirmer', 'notifications', 'send-security-alert'],
  ['confirmer', 'notifications', 'send-email-verification'],
  ['confirmer', 'confirmations', 'expire-withdrawal'],
];

/**
 * The ledger's guard, as of this migration: a hold may be placed for a withdrawal that is created held
 * for review; a posting needs the withdrawal awaiting confirmation (released if it was held), no pause,
 * an account that is not frozen, and three approvals bound to its current digest in time.
 */
export const LEDGER_GUARD_V2 = `
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
      IF current_user <> (SELECT pg_get_userbyid(proowner) FROM pg_proc
                           WHERE oid = 'ledger_credit_deposit(text, text, numeric, text)'::regprocedure) THEN
        RAISE EXCEPTION 'only ledger_credit_deposit may credit a customer'
          USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'ledger_single_phase_deposits_only';
      END IF;
      RETURN NEW;
    END IF;

    IF NEW.kind = 'pending' THEN
      SELECT * INTO w FROM withdrawals WHERE id = NEW.withdrawal_id;
      IF NOT FOUND OR w.status NOT IN ('pending_confirmation', 'held') THEN
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
      IF approved <> 3 OR w.status <> 'pending_confirmation' OR hold.amount <> w.amount + w.fee THEN
        RAISE EXCEPTION 'withdrawal % lacks three approved confirmations bound to its current details, or is held', w.id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_three_of_three';
      END IF;
      IF EXISTS (SELECT 1 FROM withdrawal_pause) THEN
        RAISE EXCEPTION 'withdrawals are paused' USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_withdrawals_paused';
      END IF;
      IF EXISTS (SELECT 1 FROM users WHERE id = w.user_id AND withdrawals_frozen_at IS NOT NULL) THEN
        RAISE EXCEPTION 'the account''s withdrawals are frozen' USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_account_frozen';
      END IF;
    END IF;
    RETURN NEW;
  END $$`;

/**
 * Trust boundaries (DESIGN.md invariants 9 and 11), enforced by Postgres whatever an app's code does:
 * - each login role is known as its app (`app_roles`), so the audit actor and an outbox row's producer
 *   come from the role, never from the caller, and each app may write only its own job names;
 * - outbox rows are published one by one: a row that cannot be published is marked failed, not retried
 *   forever ahead of everyone else's;
 * - a withdrawal is accepted only from a usable address of its own customer, with all three factors
 *   enrolled, no freeze, lock or pause — so the API's password alone cannot make one to anywhere else;
 * - a posting needs the withdrawal awaiting confirmation (not held), no pause and no freeze;
 * - operators' tokens are single use by their jti;
 * - customer ids are up to 255 characters, as identity providers issue them.
 */
export class TrustBoundaries1764400000000 implements MigrationInterface {
  name = 'TrustBoundaries1764400000000';

  async up(q: QueryRunner): Promise<void> {
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const specs = appRoleSpecs(db);
    await q.query(`
      ALTER TABLE users DROP CONSTRAINT users_id_check, ADD CONSTRAINT users_id_check CHECK (length(id) BETWEEN 1 AND 255);

      CREATE TABLE app_roles (
        role name PRIMARY KEY,
        app text NOT NULL UNIQUE CHECK (app IN ('api', 'notifier', 'confirmer'))
      );
      -- The app the current login role belongs to, or NULL for anyone else (the migrator, an administrator).
      CREATE FUNCTION current_app() RETURNS text LANGUAGE sql STABLE SET search_path = public, pg_temp
        AS $$ SELECT app FROM app_roles WHERE role = current_user $$;

      -- The audit actor is the writing role's app; only an administrator's own insert keeps what it says.
      CREATE FUNCTION audit_events_actor() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      DECLARE writer text := current_app();
      BEGIN
        IF writer IS NOT NULL THEN
          NEW.actor := CASE writer WHEN 'api' THEN 'api' WHEN 'notifier' THEN 'notification-worker' ELSE 'confirmation-service' END;
        END IF;
        NEW.at := now();
        RETURN NEW;
      END $$;
      CREATE TRIGGER audit_events_actor BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_actor();

      ALTER TABLE outbox
        ADD COLUMN producer text NOT NULL DEFAULT '',
        ADD COLUMN attempts integer NOT NULL DEFAULT 0,
        ADD COLUMN last_error text,
        ADD COLUMN failed_at timestamptz;
      DROP INDEX outbox_unpublished;
      CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL AND failed_at IS NULL;

      CREATE TABLE outbox_producers (
        app text NOT NULL,
        queue text NOT NULL,
        name text NOT NULL,
        PRIMARY KEY (app, queue, name)
      );
      CREATE FUNCTION outbox_accept() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      DECLARE writer text := current_app();
      BEGIN
        IF writer IS NULL THEN
          IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
            RAISE EXCEPTION 'only the apps write the outbox' USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'outbox_producer_not_allowed';
          END IF;
          writer := 'administrator';
        ELSIF NOT EXISTS (SELECT 1 FROM outbox_producers p WHERE p.app = writer AND p.queue = NEW.queue AND p.name = NEW.name) THEN
          RAISE EXCEPTION '% may not produce %/%', writer, NEW.queue, NEW.name
            USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'outbox_producer_not_allowed';
        END IF;
        NEW.producer := writer;
        NEW.created_at := now();
        NEW.published_at := NULL;
        NEW.failed_at := NULL;
        NEW.attempts := 0;
        RETURN NEW;
      END $$;
      CREATE TRIGGER outbox_accept BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_accept();

      -- A withdrawal is accepted only as the API's own checks would accept it.
      CREATE FUNCTION withdrawals_accept() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      DECLARE
        a withdrawal_addresses;
        u users;
      BEGIN
        SELECT * INTO a FROM withdrawal_addresses WHERE id = NEW.address_id;
        IF NOT FOUND OR a.user_id <> NEW.user_id OR a.deleted_at IS NOT NULL OR a.usable_at > now()
           OR a.asset <> NEW.asset OR a.network <> NEW.network OR a.address <> NEW.address THEN
          RAISE EXCEPTION 'a withdrawal goes only to a usable address of its own customer'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'withdrawals_address_usable';
        END IF;
        SELECT * INTO u FROM users WHERE id = NEW.user_id;
        IF u.withdrawals_frozen_at IS NOT NULL THEN
          RAISE EXCEPTION 'the account''s withdrawals are frozen' USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_account_frozen';
        END IF;
        IF u.withdrawals_locked_until > now() THEN
          RAISE EXCEPTION 'withdrawals are locked after a security change' USING ERRCODE = 'check_violation', CONSTRAINT = 'withdrawals_security_lock';
        END IF;
        IF u.email_verified_at IS NULL
           OR NOT EXISTS (SELECT 1 FROM totp_enrolments t WHERE t.user_id = u.id AND t.status = 'active')
           OR NOT EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = u.id AND s.retired_at IS NULL) THEN
          RAISE EXCEPTION 'a withdrawal needs all three factors enrolled'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'withdrawals_factors_enrolled';
        END IF;
        IF EXISTS (SELECT 1 FROM withdrawal_pause) THEN
          RAISE EXCEPTION 'withdrawals are paused' USING ERRCODE = 'check_violation', CONSTRAINT = 'withdrawals_paused';
        END IF;
        IF NEW.status NOT IN ('pending_confirmation', 'held') OR NEW.expires_at > now() + interval '1 day' THEN
          RAISE EXCEPTION 'a new withdrawal awaits confirmation, for at most a day'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'withdrawals_new_state';
        END IF;
        NEW.created_at := now();
        NEW.decided_at := NULL;
        NEW.posted_at := NULL;
        RETURN NEW;
      END $$;
      CREATE TRIGGER withdrawals_accept BEFORE INSERT ON withdrawals FOR EACH ROW EXECUTE FUNCTION withdrawals_accept();

      CREATE TABLE operator_token_uses (
        jti text PRIMARY KEY CHECK (length(jti) BETWEEN 1 AND 200),
        operator_id text NOT NULL,
        action text NOT NULL,
        used_at timestamptz NOT NULL DEFAULT now()
      );
    `);
    await q.query(LEDGER_GUARD_V2);
    for (const [app, queue, name] of OUTBOX_PRODUCERS) {
      await q.query('INSERT INTO outbox_producers (app, queue, name) VALUES ($1, $2, $3)', [app, queue, name]);
    }
    for (const spec of specs) {
      const r = ident(spec.name);
      await q.query(`INSERT INTO app_roles (role, app) VALUES (${literal(spec.name)}, ${literal(spec.role)})`);
      await q.query(`GRANT SELECT ON app_roles, outbox_producers TO ${r}`);
      await q.query(`GRANT UPDATE (attempts, last_error, failed_at) ON outbox TO ${r}`);
    }
    const role = (app: string) => ident(specs.find((s) => s.role === app)!.name);
    // The API no longer changes a customer's email, lock or freeze: the confirmation service does, from proof.
    await q.query(`REVOKE UPDATE ON users FROM ${role('api')}`);
    // It registers a customer by id only: a row made with a verified email or a lock of its choosing would be a change.
    await q.query(`REVOKE INSERT ON users FROM ${role('api')}`);
    await q.query(`GRANT INSERT (id) ON users TO ${role('api')}`);
    await q.query(`GRANT UPDATE (email, email_verified_at) ON users TO ${role('confirmer')}`);
    await q.query(`GRANT SELECT, INSERT ON operator_token_uses TO ${role('confirmer')}`);
  }

  async down(q: QueryRunner): Promise<void> {
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const specs = appRoleSpecs(db);
    const role = (app: string) => ident(specs.find((s) => s.role === app)!.name);
    await q.query(`REVOKE UPDATE (email, email_verified_at) ON users FROM ${role('confirmer')}`);
    await q.query(`GRANT INSERT ON users TO ${role('api')}`);
    await q.query(
      `GRANT UPDATE (email, email_verified_at, withdrawals_locked_until, withdrawals_frozen_at, frozen_reason) ON users TO ${role('api')}`,
    );
    await q.query(LEDGER_GUARD_V1);
    await q.query(`
      DROP TABLE operator_token_uses;
      DROP TRIGGER withdrawals_accept ON withdrawals;
      DROP FUNCTION withdrawals_accept();
      DROP TRIGGER outbox_accept ON outbox;
      DROP FUNCTION outbox_accept();
      DROP TABLE outbox_producers;
      DROP INDEX outbox_unpublished;
      ALTER TABLE outbox DROP COLUMN producer, DROP COLUMN attempts, DROP COLUMN last_error, DROP COLUMN failed_at;
      CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
      DROP TRIGGER audit_events_actor ON audit_events;
      DROP FUNCTION audit_events_actor();
      DROP FUNCTION current_app();
      DROP TABLE app_roles;
      ALTER TABLE users DROP CONSTRAINT users_id_check, ADD CONSTRAINT users_id_check CHECK (length(id) BETWEEN 1 AND 200);
    `);
  }
}
