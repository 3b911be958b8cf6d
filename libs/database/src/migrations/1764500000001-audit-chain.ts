import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRoleSpecs } from '../app-roles';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * How many chains the audit log is kept in. Each transaction's entries join one chain, chosen by its
 * transaction id; a chain's head is locked from the commit-time trigger to the end of the commit, so
 * writers queue only behind others on the same chain — the figures behind the choice are in the README.
 */
export const AUDIT_CHAINS = 8;

/**
 * An entry's hash: SHA-256 over the previous hash of its chain and, joined by U+001F, a version tag, its
 * chain and place in it, and every stored column (each as a quoted literal, or NULL), the time in UTC to
 * the microsecond and the detail as Postgres prints jsonb. `audit:verify` recomputes it with its own copy
 * of this expression (libs/database/src/audit/audit-verification.ts): keep the two alike.
 */
export const AUDIT_HASH_SQL = (prev: string, chain: string, seq: string, e: string) => `sha256(${prev} || convert_to(concat_ws(chr(31),
    'countersign-audit-v1', ${chain}::text, ${seq}::text, ${e}.id::text,
    to_char(${e}.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    quote_nullable(${e}.actor), quote_nullable(${e}.event), quote_nullable(${e}.user_id),
    quote_nullable(${e}.withdrawal_id::text), quote_nullable(${e}.detail::text)), 'UTF8'))`;

/**
 * The chaining trigger: at commit (deferred), for each entry of the transaction in insertion order, lock
 * the head of the transaction's chain, link the entry to it and move the head on. `timing` is the
 * constraint trigger's; the benchmark also installs the immediate variant to compare.
 */
export function auditChainTrigger(chains: number, timing: 'INITIALLY DEFERRED' | 'INITIALLY IMMEDIATE' = 'INITIALLY DEFERRED'): string {
  return `
    CREATE OR REPLACE FUNCTION audit_events_chain() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
      -- One chain per transaction: it locks one head only, so two writers never wait on each other in a cycle.
      c smallint := (txid_current() % ${chains})::smallint;
      head audit_chain_heads;
      linked bytea;
    BEGIN
      SELECT * INTO head FROM audit_chain_heads WHERE chain = c FOR UPDATE;
      linked := ${AUDIT_HASH_SQL('head.hash', 'c', '(head.seq + 1)', 'NEW')};
      INSERT INTO audit_chain (event_id, chain, seq, prev_hash, hash) VALUES (NEW.id, c, head.seq + 1, head.hash, linked);
      UPDATE audit_chain_heads SET seq = head.seq + 1, hash = linked WHERE chain = c;
      RETURN NULL;
    END $$;
    DROP TRIGGER IF EXISTS audit_events_chain ON audit_events;
    CREATE CONSTRAINT TRIGGER audit_events_chain AFTER INSERT ON audit_events DEFERRABLE ${timing}
      FOR EACH ROW EXECUTE FUNCTION audit_events_chain()`;
}

/** Each chain starts from its own genesis hash. */
export const AUDIT_GENESIS_SQL = (chain: string) => `sha256(convert_to('countersign-audit-genesis' || chr(31) || ${chain}::text, 'UTF8'))`;

/**
 * The audit log becomes tamper-evident (shared/API.md: each entry carries `hash` and `prevHash`): every
 * entry is linked into a hash chain in the transaction that writes it, by Postgres, from the values as
 * stored (the actor included, which Postgres sets from the writing role). Links live in `audit_chain`,
 * beside the entries and as append-only as they are; no app role may write either table's rows but by
 * inserting an entry. An entry altered, removed or inserted afterwards — even by a superuser — breaks its
 * chain, and `npm run audit:verify` names it. Entries written before this migration are chained in id order.
 */
export class AuditChain1764500000001 implements MigrationInterface {
  name = 'AuditChain1764500000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_chain_heads (
        chain smallint PRIMARY KEY CHECK (chain >= 0),
        seq bigint NOT NULL DEFAULT 0 CHECK (seq >= 0),
        hash bytea NOT NULL CHECK (length(hash) = 32)
      );
      INSERT INTO audit_chain_heads (chain, hash)
        SELECT c, ${AUDIT_GENESIS_SQL('c')} FROM generate_series(0, ${AUDIT_CHAINS - 1}) AS c;

      -- No foreign key to audit_events: a link whose entry was removed is the evidence of the removal.
      CREATE TABLE audit_chain (
        event_id bigint PRIMARY KEY,
        chain smallint NOT NULL,
        seq bigint NOT NULL CHECK (seq > 0),
        prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
        hash bytea NOT NULL CHECK (length(hash) = 32),
        UNIQUE (chain, seq)
      );
      CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain FOR EACH ROW EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
    `);
    // What was written before: chained in id order on chain 0, before any new entry can be.
    await q.query(`
      DO $$
      DECLARE
        e audit_events;
        head audit_chain_heads;
        linked bytea;
      BEGIN
        LOCK TABLE audit_events IN SHARE MODE;
        FOR e IN SELECT * FROM audit_events ORDER BY id LOOP
          SELECT * INTO head FROM audit_chain_heads WHERE chain = 0;
          linked := ${AUDIT_HASH_SQL('head.hash', '0', '(head.seq + 1)', 'e')};
          INSERT INTO audit_chain (event_id, chain, seq, prev_hash, hash) VALUES (e.id, 0, head.seq + 1, head.hash, linked);
          UPDATE audit_chain_heads SET seq = head.seq + 1, hash = linked WHERE chain = 0;
        END LOOP;
      END $$`);
    await q.query(auditChainTrigger(AUDIT_CHAINS));
    const [{ db }] = (await q.query('SELECT current_database() AS db')) as { db: string }[];
    const api = ident(appRoleSpecs(db).find((s) => s.role === 'api')!.name);
    // Operators read the links beside the entries (GET /v1/admin/audit); nobody but the trigger writes them.
    await q.query(`GRANT SELECT ON audit_chain TO ${api}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER audit_events_chain ON audit_events;
      DROP FUNCTION audit_events_chain();
      DROP TABLE audit_chain, audit_chain_heads;
    `);
  }
}
