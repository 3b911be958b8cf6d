import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';
import { LEDGER_GUARD_V3 } from './1764400000001-factor-changes';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** `text` with `search` replaced, which must occur exactly once (a migration must not silently do nothing). */
function replaceOnce(text: string, search: string, replacement: string): string {
  const at = text.indexOf(search);
  if (at < 0 || text.indexOf(search, at + 1) >= 0) throw new Error('migration text to replace not found exactly once');
  return text.slice(0, at) + replacement + text.slice(at + search.length);
}

/** Where v5 adds its rule: right after v3's check that every approving factor predates the withdrawal. */
const AFTER_FACTORS_PREDATE = `        RAISE EXCEPTION 'withdrawal % was confirmed with a factor enrolled after it was requested', w.id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_factor_enrolled_after_request';
      END IF;`;

/**
 * The ledger's guard, as of this migration (derived from v3; a v4 for risk controls may exist on another
 * branch, and composes: this is one replaceOnce): a customer who had an active passkey when the withdrawal
 * was requested posts it only if its push factor was approved by one of the customer's passkeys that
 * predates the withdrawal and is still active — and a push approval that names a passkey must name such a one.
 */
export const LEDGER_GUARD_V5 = replaceOnce(
  LEDGER_GUARD_V3,
  AFTER_FACTORS_PREDATE,
  `${AFTER_FACTORS_PREDATE}
      IF EXISTS (SELECT 1 FROM withdrawal_factors f JOIN passkeys p ON p.id = f.passkey_id
                  WHERE f.withdrawal_id = w.id
                    AND (f.factor <> 'push' OR p.user_id <> w.user_id OR p.created_at > w.created_at OR p.revoked_at IS NOT NULL))
         OR (EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = w.user_id AND p.created_at <= w.created_at
                       AND (p.revoked_at IS NULL OR p.revoked_at > w.created_at))
             AND NOT EXISTS (SELECT 1 FROM withdrawal_factors f WHERE f.withdrawal_id = w.id AND f.factor = 'push'
                               AND f.passkey_id IS NOT NULL AND f.passkey_assertion IS NOT NULL)) THEN
        RAISE EXCEPTION 'withdrawal % of a customer with a passkey was not approved with one of its passkeys', w.id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_passkey_required';
      END IF;`,
);

/**
 * Passkeys (shared/API.md, "Customer: passkeys"; DESIGN.md, "Passkeys"), enforced by Postgres whatever the caller:
 * - a registration ceremony's challenge is issued and used by the confirmation service only;
 * - only the confirmation service's role writes a passkey (the API's role reads ids and labels, never a
 *   key); Postgres sets its times, never lets its identity or key change, never lets its signature counter
 *   go back, and keeps a revoked one revoked;
 * - adding or revoking one is a security change: by trigger it locks the customer's withdrawals;
 * - the push approval records the passkey and its assertion, and the ledger guard v5 posts a withdrawal of
 *   a customer with a passkey only with such an approval.
 */
export class Passkeys1764700000000 implements MigrationInterface {
  name = 'Passkeys1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE passkey_registrations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id text NOT NULL REFERENCES users(id),
        challenge text NOT NULL CHECK (challenge ~ '^[A-Za-z0-9_-]{16,200}$'),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      );
      CREATE INDEX passkey_registrations_by_user ON passkey_registrations (user_id, created_at DESC);

      CREATE TABLE passkeys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id text NOT NULL REFERENCES users(id),
        credential_id text NOT NULL UNIQUE CHECK (credential_id ~ '^[A-Za-z0-9_-]+$' AND length(credential_id) BETWEEN 16 AND 1400),
        public_key bytea NOT NULL CHECK (length(public_key) BETWEEN 32 AND 2048),
        counter bigint NOT NULL DEFAULT 0 CHECK (counter >= 0),
        transports text[] NOT NULL DEFAULT '{}',
        label text NOT NULL DEFAULT '' CHECK (length(label) <= 64),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      CREATE INDEX passkeys_live_by_user ON passkeys (user_id) WHERE revoked_at IS NULL;

      -- A passkey's time is Postgres's: one cannot be backdated to before a withdrawal.
      CREATE FUNCTION passkeys_accept() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      BEGIN
        NEW.created_at := now();
        NEW.last_used_at := NULL;
        NEW.revoked_at := NULL;
        RETURN NEW;
      END $$;
      CREATE TRIGGER passkeys_accept BEFORE INSERT ON passkeys FOR EACH ROW EXECUTE FUNCTION passkeys_accept();

      CREATE FUNCTION passkeys_guard() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      BEGIN
        IF NEW.user_id <> OLD.user_id OR NEW.credential_id <> OLD.credential_id OR NEW.public_key <> OLD.public_key
           OR NEW.created_at <> OLD.created_at THEN
          RAISE EXCEPTION 'a passkey''s owner, credential and key never change' USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'passkeys_identity_fixed';
        END IF;
        IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
          RAISE EXCEPTION 'a revoked passkey stays revoked' USING ERRCODE = 'check_violation', CONSTRAINT = 'passkeys_revoked_for_good';
        END IF;
        IF NEW.counter < OLD.counter THEN
          RAISE EXCEPTION 'a signature counter never goes back' USING ERRCODE = 'check_violation', CONSTRAINT = 'passkeys_counter_monotonic';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER passkeys_guard BEFORE UPDATE ON passkeys FOR EACH ROW EXECUTE FUNCTION passkeys_guard();

      CREATE TRIGGER passkeys_added AFTER INSERT ON passkeys FOR EACH ROW EXECUTE FUNCTION factor_rows_changed();
      CREATE TRIGGER passkeys_removed AFTER UPDATE OF revoked_at ON passkeys
        FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION factor_rows_changed();

      -- The passkey that approved the push factor, and its assertion (handed to the wallet with the posting).
      ALTER TABLE withdrawal_factors
        ADD COLUMN passkey_id uuid REFERENCES passkeys(id),
        ADD COLUMN passkey_assertion jsonb,
        ADD CONSTRAINT withdrawal_factors_passkey_with_assertion CHECK ((passkey_id IS NULL) = (passkey_assertion IS NULL));
    `);
    await q.query(LEDGER_GUARD_V5);

    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const specs = appRoleSpecs(db);
    const role = (app: string) => ident(specs.find((s) => s.role === app)!.name);
    for (const grant of [
      `GRANT SELECT, INSERT (user_id, challenge, expires_at) ON passkey_registrations TO ${role('confirmer')}`,
      `GRANT UPDATE (used_at) ON passkey_registrations TO ${role('confirmer')}`,
      `GRANT SELECT ON passkeys TO ${role('confirmer')}`,
      `GRANT INSERT (user_id, credential_id, public_key, counter, transports, label) ON passkeys TO ${role('confirmer')}`,
      `GRANT UPDATE (counter, last_used_at, revoked_at) ON passkeys TO ${role('confirmer')}`,
      `GRANT UPDATE (passkey_id, passkey_assertion) ON withdrawal_factors TO ${role('confirmer')}`,
      // The API lists passkeys and offers their ids to the confirmation page; it never reads a key or writes a row.
      `GRANT SELECT (id, user_id, credential_id, transports, label, created_at, last_used_at, revoked_at) ON passkeys TO ${role('api')}`,
    ]) {
      await q.query(grant);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(LEDGER_GUARD_V3);
    await q.query(`
      ALTER TABLE withdrawal_factors DROP CONSTRAINT withdrawal_factors_passkey_with_assertion,
        DROP COLUMN passkey_assertion, DROP COLUMN passkey_id;
      DROP TABLE passkeys, passkey_registrations;
      DROP FUNCTION passkeys_guard(), passkeys_accept();
    `);
  }
}
