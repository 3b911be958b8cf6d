import { LedgerFault, verifyLedger } from '@app/database';
import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

/** Polls `check` until it answers true; throws with `what` after the timeout. */
export async function waitUntil(check: () => Promise<boolean> | boolean, what = 'condition', timeoutMs = 15_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waitUntil: ${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `verifyLedger` from @app/ledger, run on an administrator's connection: an empty list is a clean ledger. */
export function ledgerFaults(admin: DataSource): Promise<LedgerFault[]> {
  return verifyLedger(admin);
}

/** How many transfers of each kind refer to a withdrawal (its hold, and the post or void of that hold). */
export async function transfersOf(admin: DataSource, withdrawalId: string): Promise<Record<'pending' | 'post_pending' | 'void_pending', number>> {
  const rows: { kind: string; n: number }[] = await admin.query(
    `SELECT kind, count(*)::int AS n FROM ledger_transfers WHERE withdrawal_id = $1 GROUP BY kind`,
    [withdrawalId],
  );
  const counts = { pending: 0, post_pending: 0, void_pending: 0 };
  for (const r of rows) counts[r.kind as keyof typeof counts] = r.n;
  return counts;
}

export interface InvariantSample {
  samples: number;
  violations: { at: number; rows: unknown[] }[];
  /** Distinct values of (debits_pending, debits_posted, credits_posted) seen on the watched accounts. */
  distinctStates: number;
}

/**
 * Reads `ledger_accounts` over and over on a connection of its own while something else runs, and records
 * every sample in which a customer account holds or has spent more than was credited to it. Postgres reads
 * each sample from one snapshot, so every committed state the loop happens to see is checked.
 */
export class BalanceInvariantWatcher {
  private readonly client: Client;
  private running = false;
  private loop?: Promise<void>;
  private readonly result: InvariantSample = { samples: 0, violations: [], distinctStates: 0 };
  private readonly states = new Set<string>();

  constructor(
    databaseUrl: string,
    private readonly userIds?: string[],
  ) {
    this.client = new Client({ connectionString: databaseUrl, application_name: 'invariant-watcher' });
  }

  async start(): Promise<void> {
    await this.client.connect();
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const { rows } = await this.client.query(
          `SELECT id, user_id, asset, debits_pending::text, debits_posted::text, credits_posted::text,
                  (debits_pending + debits_posted <= credits_posted) AS ok
             FROM ledger_accounts WHERE kind = 'customer' AND ($1::text[] IS NULL OR user_id = ANY($1))`,
          [this.userIds ?? null],
        );
        this.result.samples++;
        for (const r of rows) this.states.add(`${r.id}:${r.debits_pending}:${r.debits_posted}:${r.credits_posted}`);
        const bad = rows.filter((r) => !r.ok);
        if (bad.length) this.result.violations.push({ at: Date.now(), rows: bad });
      }
    })();
  }

  async stop(): Promise<InvariantSample> {
    this.running = false;
    await this.loop;
    await this.client.end();
    this.result.distinctStates = this.states.size;
    return this.result;
  }
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run <script>` as operators run it: a child process on the given environment (its DATABASE_URL). */
export function runOperatorCommand(script: string, env: Record<string, string>): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script], {
      cwd: `${__dirname}/../..`,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `npm run ledger:verify` as operators run it. */
export const runLedgerVerify = (env: Record<string, string>) => runOperatorCommand('ledger:verify', env);

/**
 * Test instrumentation in the test's own database: a trigger that copies every version of a ledger
 * account row written by any transaction into `test_ledger_account_versions`. The copy commits or rolls
 * back with the transaction that wrote it, so the table ends up holding exactly the committed versions —
 * every state the account was ever in after a commit, not just the ones a poller happened to see.
 */
export async function recordAccountVersions(admin: DataSource): Promise<void> {
  await admin.query(`
    CREATE TABLE IF NOT EXISTS test_ledger_account_versions (
      seq bigserial PRIMARY KEY, txid bigint NOT NULL DEFAULT txid_current(), account_id bigint NOT NULL, kind text NOT NULL,
      user_id text, debits_pending numeric NOT NULL, debits_posted numeric NOT NULL, credits_posted numeric NOT NULL);
    CREATE OR REPLACE FUNCTION test_record_account_version() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    BEGIN
      INSERT INTO test_ledger_account_versions (account_id, kind, user_id, debits_pending, debits_posted, credits_posted)
        VALUES (NEW.id, NEW.kind, NEW.user_id, NEW.debits_pending, NEW.debits_posted, NEW.credits_posted);
      RETURN NULL;
    END $$;
    DROP TRIGGER IF EXISTS test_record_account_version ON ledger_accounts;
    CREATE TRIGGER test_record_account_version AFTER INSERT OR UPDATE ON ledger_accounts
      FOR EACH ROW EXECUTE FUNCTION test_record_account_version();`);
}

/** Committed versions of the customers' accounts, and those among them that hold or spent more than was credited. */
export async function accountVersions(
  admin: DataSource,
  userIds: string[],
): Promise<{ versions: number; transactions: number; overdrawn: unknown[] }> {
  const [{ versions, transactions }] = await admin.query(
    `SELECT count(*)::int AS versions, count(DISTINCT txid)::int AS transactions
       FROM test_ledger_account_versions WHERE kind = 'customer' AND user_id = ANY($1)`,
    [userIds],
  );
  const overdrawn = await admin.query(
    `SELECT * FROM test_ledger_account_versions
      WHERE kind = 'customer' AND user_id = ANY($1) AND debits_pending + debits_posted > credits_posted`,
    [userIds],
  );
  return { versions, transactions, overdrawn };
}
