import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs, RoleSpec } from '../app-roles';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * Least privilege per app. The API can neither approve, post, credit nor read TOTP secrets; the notification
 * worker writes challenges but not approvals; only the confirmation service records factor outcomes
 * and resolves holds. Grants are per column where a table is shared.
 */
const GRANTS: Record<RoleSpec['role'], string[]> = {
  api: [
    'GRANT SELECT, INSERT ON users TO {r}',
    'GRANT UPDATE (email, email_verified_at, withdrawals_locked_until, withdrawals_frozen_at, frozen_reason) ON users TO {r}',
    'GRANT SELECT, INSERT ON email_verifications TO {r}',
    'GRANT UPDATE (consumed_at) ON email_verifications TO {r}',
    'GRANT SELECT (id, user_id, status, created_at, activated_at, revoked_at) ON totp_enrolments TO {r}',
    'GRANT INSERT (user_id, sealed_secret) ON totp_enrolments TO {r}',
    'GRANT SELECT, INSERT ON push_subscriptions TO {r}',
    'GRANT UPDATE (retired_at, retired_reason) ON push_subscriptions TO {r}',
    'GRANT SELECT, INSERT ON withdrawal_addresses TO {r}',
    'GRANT UPDATE (deleted_at) ON withdrawal_addresses TO {r}',
    'GRANT SELECT ON withdrawals TO {r}',
    `GRANT INSERT (user_id, address_id, asset, network, address, amount, fee, match_code, match_choices,
       idempotency_key, request_hash, request_ip, expires_at) ON withdrawals TO {r}`,
    'GRANT SELECT ON withdrawal_factors TO {r}',
    'GRANT SELECT (id, withdrawal_id, factor, subscription_id, token_hash, created_at, sent_at, consumed_at) ON challenges TO {r}',
    'GRANT SELECT ON ledger_accounts, ledger_transfers TO {r}',
    'GRANT EXECUTE ON FUNCTION ledger_reserve(uuid) TO {r}',
  ],
  notifier: [
    'GRANT SELECT ON users, withdrawals, withdrawal_factors, push_subscriptions TO {r}',
    'GRANT UPDATE (retired_at, retired_reason) ON push_subscriptions TO {r}',
    'GRANT SELECT ON email_verifications TO {r}',
    'GRANT UPDATE (token_hash, sent_at) ON email_verifications TO {r}',
    'GRANT SELECT, INSERT ON challenges TO {r}',
    'GRANT UPDATE (token_hash, sent_at) ON challenges TO {r}',
    'GRANT SELECT, INSERT, DELETE ON sent_notifications TO {r}',
  ],
  confirmer: [
    'GRANT SELECT ON users TO {r}',
    'GRANT UPDATE (withdrawals_frozen_at, frozen_reason, withdrawals_locked_until) ON users TO {r}',
    'GRANT SELECT ON totp_enrolments TO {r}',
    'GRANT UPDATE (status, activated_at, revoked_at) ON totp_enrolments TO {r}',
    'GRANT SELECT, INSERT ON totp_used_steps, totp_failures TO {r}',
    'GRANT USAGE ON SEQUENCE totp_failures_id_seq TO {r}',
    'GRANT SELECT ON withdrawals TO {r}',
    'GRANT UPDATE (status, decided_at, posted_at, reason) ON withdrawals TO {r}',
    'GRANT SELECT ON withdrawal_factors TO {r}',
    'GRANT UPDATE (status, digest, decided_at, failures, wrong_match_picks, evidence) ON withdrawal_factors TO {r}',
    'GRANT SELECT ON challenges, push_subscriptions TO {r}',
    'GRANT UPDATE (consumed_at) ON challenges TO {r}',
    'GRANT SELECT ON ledger_accounts TO {r}',
    'GRANT SELECT, INSERT ON ledger_transfers TO {r}',
    'GRANT EXECUTE ON FUNCTION ledger_credit_deposit(text, text, numeric, text) TO {r}',
  ],
};

const SHARED_GRANTS = [
  'GRANT SELECT, INSERT ON outbox, audit_events TO {r}',
  'GRANT UPDATE (published_at) ON outbox TO {r}',
  'GRANT USAGE ON SEQUENCE outbox_id_seq, audit_events_id_seq TO {r}',
];

export class AppRoles1763900000002 implements MigrationInterface {
  name = 'AppRoles1763900000002';

  private async specs(q: QueryRunner): Promise<RoleSpec[]> {
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    return appRoleSpecs(db);
  }

  async up(q: QueryRunner): Promise<void> {
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    await q.query(`REVOKE ALL ON DATABASE ${ident(db)} FROM PUBLIC`);
    for (const spec of await this.specs(q)) {
      const r = ident(spec.name);
      await q.query(`DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${literal(spec.name)}) THEN
          CREATE ROLE ${r} LOGIN;
        END IF;
      END $$`);
      await q.query(`ALTER ROLE ${r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${literal(spec.password)}`);
      await q.query(`GRANT CONNECT ON DATABASE ${ident(db)} TO ${r}`);
      await q.query(`GRANT USAGE ON SCHEMA public TO ${r}`);
      for (const grant of [...GRANTS[spec.role], ...SHARED_GRANTS]) await q.query(grant.replace('{r}', r));
    }
  }

  async down(q: QueryRunner): Promise<void> {
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    for (const spec of await this.specs(q)) {
      const r = ident(spec.name);
      await q.query(`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${literal(spec.name)}) THEN
          REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${r};
          REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${r};
          REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM ${r};
          REVOKE ALL ON SCHEMA public FROM ${r};
          REVOKE ALL ON DATABASE ${ident(db)} FROM ${r};
          DROP ROLE ${r};
        END IF;
      END $$`);
    }
  }
}
