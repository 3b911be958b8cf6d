import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The risk controls (shared/API.md "Risk controls"):
 * - the API may create a withdrawal `held`, and says why: a held withdrawal always names one of the hold
 *   reasons, whoever inserts it; it still gets its hold, and only the confirmation service releases it
 *   (the ledger guard already refuses to post one that is not awaiting confirmation);
 * - `withdrawal_risk`: for every withdrawal, the keys the anomaly holds counted it under (requesting
 *   address, device, destination) and the distinct customers per key at that moment — written with the
 *   withdrawal, never changed; the review queue finds the withdrawals that share a key through it;
 * - `risk_alerts`: when each alert key was last mailed to the operators, so that an anomaly is mailed
 *   once per window however many withdrawals it holds;
 * - the API may produce the operators' alert job;
 * - indexes for the counts the API makes in Postgres when Redis does not answer.
 */
export class RiskControls1764500000000 implements MigrationInterface {
  name = 'RiskControls1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE withdrawals ADD CONSTRAINT withdrawals_held_reason
        CHECK (status <> 'held' OR reason IN ('anomaly_ip', 'anomaly_device', 'anomaly_destination', 'velocity'));

      CREATE TABLE withdrawal_risk (
        withdrawal_id uuid PRIMARY KEY REFERENCES withdrawals(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        ip_key text CHECK (length(ip_key) BETWEEN 1 AND 64),
        device_key text CHECK (device_key ~ '^[!-~]{1,200}$'),
        destination_key text NOT NULL,
        distinct_accounts jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(distinct_accounts) = 'object')
      );
      CREATE INDEX withdrawal_risk_by_ip ON withdrawal_risk (ip_key, created_at) WHERE ip_key IS NOT NULL;
      CREATE INDEX withdrawal_risk_by_device ON withdrawal_risk (device_key, created_at) WHERE device_key IS NOT NULL;
      CREATE INDEX withdrawal_risk_by_destination ON withdrawal_risk (destination_key, created_at);

      -- Written with its withdrawal, at that moment, and never changed.
      CREATE FUNCTION withdrawal_risk_accept() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
      BEGIN
        NEW.created_at := now();
        RETURN NEW;
      END $$;
      CREATE TRIGGER withdrawal_risk_accept BEFORE INSERT ON withdrawal_risk FOR EACH ROW EXECUTE FUNCTION withdrawal_risk_accept();
      CREATE TRIGGER withdrawal_risk_append_only BEFORE UPDATE OR DELETE ON withdrawal_risk
        FOR EACH ROW EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER withdrawal_risk_no_truncate BEFORE TRUNCATE ON withdrawal_risk
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

      CREATE TABLE risk_alerts (
        key text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
        alerted_at timestamptz NOT NULL DEFAULT now()
      );

      -- /metrics counts holds and automatic pauses from the audit log at every scrape; when Redis does not
      -- answer, the API counts the last hour's withdrawals and the last resume in Postgres.
      CREATE INDEX audit_events_by_event ON audit_events (event);
      CREATE INDEX withdrawals_by_created_at ON withdrawals (created_at);
    `);
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const specs = appRoleSpecs(db);
    const role = (app: string) => ident(specs.find((s) => s.role === app)!.name);
    for (const grant of [
      `GRANT INSERT (status, reason) ON withdrawals TO ${role('api')}`,
      `GRANT SELECT, INSERT ON withdrawal_risk TO ${role('api')}`,
      `GRANT SELECT, INSERT ON risk_alerts TO ${role('api')}`,
      `GRANT UPDATE (alerted_at) ON risk_alerts TO ${role('api')}`,
      `GRANT SELECT ON withdrawal_risk TO ${role('notifier')}`,
    ]) {
      await q.query(grant);
    }
    await q.query(`INSERT INTO outbox_producers (app, queue, name) VALUES ('api', 'notifications', 'send-operator-alert')`);
  }

  async down(q: QueryRunner): Promise<void> {
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const specs = appRoleSpecs(db);
    const role = (app: string) => ident(specs.find((s) => s.role === app)!.name);
    await q.query(`DELETE FROM outbox_producers WHERE name = 'send-operator-alert'`);
    await q.query(`REVOKE INSERT (status, reason) ON withdrawals FROM ${role('api')}`);
    await q.query(`
      DROP INDEX audit_events_by_event, withdrawals_by_created_at;
      DROP TABLE risk_alerts, withdrawal_risk;
      DROP FUNCTION withdrawal_risk_accept();
      ALTER TABLE withdrawals DROP CONSTRAINT withdrawals_held_reason;
    `);
  }
}
