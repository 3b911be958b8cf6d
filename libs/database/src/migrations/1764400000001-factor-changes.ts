import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';
import { LEDGER_GUARD_V2 } from './1764400000000-trust-boundaries';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** `text` with `search` replaced, which must occur exactly once (a migration must not silently do nothing). */
function replaceOnce(text: string, search: string, replacement: string): string {
  const at = text.indexOf(search);
  if (at < 0 || text.indexOf(search, at + 1) >= 0) throw new Error('migration text to replace not found exactly once');
  return text.slice(0, at) + replacement + text.slice(at + search.length);
}

/**
 * The ledger's guard, as of this migration: besides v2's rules, a posting needs every factor that approved
 * it to be older than the withdrawal — the TOTP enrolment used, the push device the approving challenge
 * went to, the verified email — and no security change of the customer since the withdrawal was requested.
 */
export const LEDGER_GUARD_V3 = replaceOnce(
  LEDGER_GUARD_V2,
  `      IF EXISTS (SELECT 1 FROM users WHERE id = w.user_id AND withdrawals_frozen_at IS NOT NULL) THEN
        RAISE EXCEPTION 'the account''s withdrawals are frozen' USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_account_frozen';
      END IF;
    END IF;`,
  `      IF EXISTS (SELECT 1 FROM users WHERE id = w.user_id AND withdrawals_frozen_at IS NOT NULL) THEN
        RAISE EXCEPTION 'the account''s withdrawals are frozen' USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_account_frozen';
      END IF;
      IF EXISTS (SELECT 1 FROM users u WHERE u.id = w.user_id
                  AND (u.security_changed_at > w.created_at OR u.email_verified_at IS NULL OR u.email_verified_at > w.created_at))
         OR NOT EXISTS (SELECT 1 FROM withdrawal_factors f JOIN totp_enrolments t ON t.id = f.enrolment_id
                         WHERE f.withdrawal_id = w.id AND f.factor = 'totp' AND t.user_id = w.user_id
                           AND t.status = 'active' AND t.activated_at <= w.created_at)
         OR NOT EXISTS (SELECT 1 FROM withdrawal_factors f JOIN challenges c ON c.id = f.challenge_id
                         WHERE f.withdrawal_id = w.id AND f.factor = 'email' AND c.withdrawal_id = w.id AND c.factor = 'email')
         OR NOT EXISTS (SELECT 1 FROM withdrawal_factors f JOIN challenges c ON c.id = f.challenge_id
                          JOIN push_subscriptions s ON s.id = c.subscription_id
                         WHERE f.withdrawal_id = w.id AND f.factor = 'push' AND c.withdrawal_id = w.id AND c.factor = 'push'
                           AND s.user_id = w.user_id AND s.created_at <= w.created_at) THEN
        RAISE EXCEPTION 'withdrawal % was confirmed with a factor enrolled after it was requested', w.id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_factor_enrolled_after_request';
      END IF;
    END IF;`,
);

/**
 * A factor is changed only with a factor (DESIGN.md invariant 10), enforced by Postgres whatever the caller:
 * - `security_policy` holds the address cooling-off and the security-change lock, set by `db:migrate` from
 *   ADDRESS_COOLING_OFF and SECURITY_CHANGE_LOCK; a new address is usable no earlier than the cooling-off
 *   allows, and every factor or address change locks the customer's withdrawals — by trigger, so no role
 *   can add one without the lock, and no app role can shorten a lock;
 * - the API's role no longer writes factors at all: the confirmation service makes every change after
 *   checking the proof (a TOTP code once TOTP is active);
 * - a posting needs each approving factor to predate the withdrawal (ledger guard v3);
 * - security notices: each change is announced on the old channels with a "this wasn't me" link;
 * - an email verification link stops working once a newer one is sent.
 */
export class FactorChanges1764400000001 implements MigrationInterface {
  name = 'FactorChanges1764400000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE security_policy (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        address_cooling_off interval NOT NULL DEFAULT interval '24 hours' CHECK (address_cooling_off >= interval '0'),
        security_change_lock interval NOT NULL DEFAULT interval '24 hours' CHECK (security_change_lock >= interval '0')
      );
      INSERT INTO security_policy DEFAULT VALUES;

      ALTER TABLE users ADD COLUMN security_changed_at timestamptz;

      -- A security change of the customer: their withdrawals lock for the policy's time (never less than already).
      CREATE FUNCTION security_change(p_user text) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        UPDATE users SET security_changed_at = now(),
               withdrawals_locked_until = greatest(coalesce(withdrawals_locked_until, now()),
                                                   now() + (SELECT security_change_lock FROM security_policy))
         WHERE id = p_user
      $$;
      REVOKE EXECUTE ON FUNCTION security_change(text) FROM PUBLIC;

      CREATE FUNCTION factor_rows_changed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        PERFORM security_change(NEW.user_id);
        RETURN NULL;
      END $$;
      CREATE TRIGGER push_subscriptions_added AFTER INSERT ON push_subscriptions
        FOR EACH ROW EXECUTE FUNCTION factor_rows_changed();
      -- A device the customer removed; one its push service says is gone is not the customer's change.
      CREATE TRIGGER push_subscriptions_removed AFTER UPDATE OF retired_at ON push_subscriptions
        FOR EACH ROW WHEN (OLD.retired_at IS NULL AND NEW.retired_at IS NOT NULL AND NEW.retired_reason IS DISTINCT FROM 'gone')
        EXECUTE FUNCTION factor_rows_changed();
      CREATE TRIGGER withdrawal_addresses_added AFTER INSERT ON withdrawal_addresses
        FOR EACH ROW EXECUTE FUNCTION factor_rows_changed();
      CREATE TRIGGER withdrawal_addresses_removed AFTER UPDATE OF deleted_at ON withdrawal_addresses
        FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL) EXECUTE FUNCTION factor_rows_changed();
      CREATE TRIGGER totp_enrolments_activated AFTER UPDATE OF status ON totp_enrolments
        FOR EACH ROW WHEN (NEW.status = 'active' AND OLD.status IS DISTINCT FROM 'active') EXECUTE FUNCTION factor_rows_changed();

      -- The customer row itself: a new (verified) email is a change; no app role shortens a lock.
      CREATE FUNCTION users_guard() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      BEGIN
        IF NEW.email IS DISTINCT FROM OLD.email OR NEW.email_verified_at IS DISTINCT FROM OLD.email_verified_at THEN
          NEW.security_changed_at := now();
          NEW.withdrawals_locked_until := greatest(coalesce(OLD.withdrawals_locked_until, now()),
                                                   now() + (SELECT security_change_lock FROM security_policy));
        END IF;
        IF current_app() IS NOT NULL AND (NEW.withdrawals_locked_until < OLD.withdrawals_locked_until
             OR (OLD.withdrawals_locked_until IS NOT NULL AND NEW.withdrawals_locked_until IS NULL)) THEN
          RAISE EXCEPTION 'a security lock is never lifted early' USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'users_lock_only_grows';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER users_guard BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_guard();

      -- A new address is usable after the cooling-off at the earliest, whatever the inserting role says.
      CREATE FUNCTION withdrawal_addresses_accept() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      BEGIN
        NEW.created_at := now();
        NEW.deleted_at := NULL;
        NEW.usable_at := greatest(coalesce(NEW.usable_at, now()), now() + (SELECT address_cooling_off FROM security_policy));
        RETURN NEW;
      END $$;
      CREATE TRIGGER withdrawal_addresses_accept BEFORE INSERT ON withdrawal_addresses
        FOR EACH ROW EXECUTE FUNCTION withdrawal_addresses_accept();

      ALTER TABLE email_verifications ADD COLUMN superseded_at timestamptz;

      -- Which evidence approved a factor: the challenge (email, push) or the TOTP enrolment.
      ALTER TABLE withdrawal_factors
        ADD COLUMN challenge_id uuid REFERENCES challenges(id),
        ADD COLUMN enrolment_id uuid REFERENCES totp_enrolments(id);

      -- Every factor change is announced on the old channels, each message with a "this wasn't me" link.
      CREATE TABLE security_notices (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id text NOT NULL REFERENCES users(id),
        change text NOT NULL CHECK (change IN ('email', 'totp', 'push-device', 'address', 'passkey', 'anti-phishing-code')),
        created_at timestamptz NOT NULL DEFAULT now(),
        reported_at timestamptz
      );
      CREATE INDEX security_notices_by_user ON security_notices (user_id, created_at);
      CREATE TABLE notice_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        notice_id uuid NOT NULL REFERENCES security_notices(id),
        channel text NOT NULL CHECK (channel IN ('email', 'push')),
        email text,
        subscription_id uuid REFERENCES push_subscriptions(id),
        token_hash bytea UNIQUE CHECK (length(token_hash) = 32),
        created_at timestamptz NOT NULL DEFAULT now(),
        claimed_at timestamptz,
        sent_at timestamptz,
        used_at timestamptz,
        CHECK ((channel = 'email') = (email IS NOT NULL) AND (channel = 'push') = (subscription_id IS NOT NULL))
      );
      CREATE INDEX notice_deliveries_by_notice ON notice_deliveries (notice_id);
    `);
    await q.query(LEDGER_GUARD_V3);

    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const specs = appRoleSpecs(db);
    const role = (app: string) => ident(specs.find((s) => s.role === app)!.name);
    const grants = [
      `GRANT SELECT ON security_policy TO ${role('api')}, ${role('notifier')}, ${role('confirmer')}`,
      // The API reads factors; it writes none of them any more.
      `REVOKE INSERT, UPDATE ON email_verifications, push_subscriptions, withdrawal_addresses FROM ${role('api')}`,
      `REVOKE INSERT ON totp_enrolments FROM ${role('api')}`,
      `REVOKE SELECT ON email_verifications FROM ${role('api')}`,
      `GRANT SELECT, INSERT ON email_verifications TO ${role('confirmer')}`,
      `GRANT UPDATE (consumed_at, superseded_at) ON email_verifications TO ${role('confirmer')}`,
      `GRANT INSERT (user_id, sealed_secret) ON totp_enrolments TO ${role('confirmer')}`,
      `GRANT INSERT (user_id, endpoint, p256dh, auth) ON push_subscriptions TO ${role('confirmer')}`,
      `GRANT UPDATE (retired_at, retired_reason) ON push_subscriptions TO ${role('confirmer')}`,
      `GRANT SELECT ON withdrawal_addresses TO ${role('confirmer')}`,
      // usable_at may be given; Postgres makes it no earlier than the cooling-off (withdrawal_addresses_accept).
      `GRANT INSERT (user_id, asset, network, address, label, usable_at) ON withdrawal_addresses TO ${role('confirmer')}`,
      `GRANT UPDATE (deleted_at) ON withdrawal_addresses TO ${role('confirmer')}`,
      `REVOKE UPDATE (withdrawals_locked_until) ON users FROM ${role('confirmer')}`,
      `GRANT UPDATE (challenge_id, enrolment_id) ON withdrawal_factors TO ${role('confirmer')}`,
      `GRANT SELECT, INSERT ON security_notices, notice_deliveries TO ${role('confirmer')}`,
      `GRANT UPDATE (reported_at) ON security_notices TO ${role('confirmer')}`,
      `GRANT UPDATE (used_at) ON notice_deliveries TO ${role('confirmer')}`,
      `GRANT SELECT ON security_notices, notice_deliveries TO ${role('notifier')}`,
      `GRANT UPDATE (token_hash, claimed_at, sent_at) ON notice_deliveries TO ${role('notifier')}`,
      `GRANT SELECT (id, user_id, change, created_at, reported_at) ON security_notices TO ${role('api')}`,
    ];
    for (const grant of grants) await q.query(grant);
    await q.query(
      `INSERT INTO outbox_producers (app, queue, name) VALUES
         ('confirmer', 'notifications', 'send-notice-email'), ('confirmer', 'notifications', 'send-notice-push')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const specs = appRoleSpecs(db);
    const role = (app: string) => ident(specs.find((s) => s.role === app)!.name);
    await q.query(`DELETE FROM outbox_producers WHERE name IN ('send-notice-email', 'send-notice-push')`);
    await q.query(LEDGER_GUARD_V2);
    await q.query(`
      DROP TABLE notice_deliveries, security_notices;
      ALTER TABLE withdrawal_factors DROP COLUMN challenge_id, DROP COLUMN enrolment_id;
      ALTER TABLE email_verifications DROP COLUMN superseded_at;
      DROP TRIGGER withdrawal_addresses_accept ON withdrawal_addresses;
      DROP FUNCTION withdrawal_addresses_accept();
      DROP TRIGGER users_guard ON users;
      DROP FUNCTION users_guard();
      DROP TRIGGER push_subscriptions_added ON push_subscriptions;
      DROP TRIGGER push_subscriptions_removed ON push_subscriptions;
      DROP TRIGGER withdrawal_addresses_added ON withdrawal_addresses;
      DROP TRIGGER withdrawal_addresses_removed ON withdrawal_addresses;
      DROP TRIGGER totp_enrolments_activated ON totp_enrolments;
      DROP FUNCTION factor_rows_changed();
      DROP FUNCTION security_change(text);
      ALTER TABLE users DROP COLUMN security_changed_at;
      DROP TABLE security_policy;
    `);
    for (const grant of [
      `GRANT SELECT, INSERT ON email_verifications TO ${role('api')}`,
      `GRANT UPDATE (consumed_at) ON email_verifications TO ${role('api')}`,
      `GRANT INSERT (user_id, sealed_secret) ON totp_enrolments TO ${role('api')}`,
      `GRANT INSERT ON push_subscriptions, withdrawal_addresses TO ${role('api')}`,
      `GRANT UPDATE (retired_at, retired_reason) ON push_subscriptions TO ${role('api')}`,
      `GRANT UPDATE (deleted_at) ON withdrawal_addresses TO ${role('api')}`,
      `GRANT UPDATE (withdrawals_locked_until) ON users TO ${role('confirmer')}`,
    ]) {
      await q.query(grant);
    }
  }
}
