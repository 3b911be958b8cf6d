import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The customer's anti-phishing code: the phrase shown in every message and page Countersign sends, so a
 * look-alike without it stands out. Set only by the confirmation service (after a TOTP code), a security
 * change like any factor (by trigger it locks withdrawals); read by the apps that render messages and
 * pages. It travels in no job: jobs carry ids, and the change itself carries it sealed.
 */
export class AntiPhishingCodes1764700000001 implements MigrationInterface {
  name = 'AntiPhishingCodes1764700000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE anti_phishing_codes (
        user_id text PRIMARY KEY REFERENCES users(id),
        -- Letters of any script, digits and spaces are checked by the confirmation service; here its shape.
        code text NOT NULL CHECK (char_length(code) BETWEEN 4 AND 20 AND btrim(code) <> '' AND code !~ '[[:cntrl:]<>&"]'),
        set_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE FUNCTION anti_phishing_codes_accept() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      BEGIN
        NEW.set_at := now();
        RETURN NEW;
      END $$;
      CREATE TRIGGER anti_phishing_codes_accept BEFORE INSERT OR UPDATE ON anti_phishing_codes
        FOR EACH ROW EXECUTE FUNCTION anti_phishing_codes_accept();
      CREATE TRIGGER anti_phishing_codes_changed AFTER INSERT OR UPDATE ON anti_phishing_codes
        FOR EACH ROW EXECUTE FUNCTION factor_rows_changed();
    `);
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const specs = appRoleSpecs(db);
    const role = (app: string) => ident(specs.find((s) => s.role === app)!.name);
    await q.query(`GRANT SELECT, INSERT (user_id, code), UPDATE (code) ON anti_phishing_codes TO ${role('confirmer')}`);
    await q.query(`GRANT SELECT ON anti_phishing_codes TO ${role('notifier')}, ${role('api')}`);
    // The API shows the code on every page a message links to: it finds the customer from the link's token hash.
    await q.query(`GRANT SELECT (notice_id, token_hash) ON notice_deliveries TO ${role('api')}`);
    await q.query(`GRANT SELECT (user_id, token_hash) ON email_verifications TO ${role('api')}`);
  }

  async down(q: QueryRunner): Promise<void> {
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const api = ident(appRoleSpecs(db).find((s) => s.role === 'api')!.name);
    await q.query(`REVOKE SELECT (notice_id, token_hash) ON notice_deliveries FROM ${api}`);
    await q.query(`REVOKE SELECT (user_id, token_hash) ON email_verifications FROM ${api}`);
    await q.query(`
      DROP TABLE anti_phishing_codes;
      DROP FUNCTION anti_phishing_codes_accept();
    `);
  }
}
