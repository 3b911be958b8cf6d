import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { appRoleSpecs } from './app-roles';
import { dataSourceOptions } from './data-source-options';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

function maintenanceUrl(databaseUrl: string): { url: string; database: string } {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  return { url: url.toString(), database };
}

async function withMaintenanceClient<T>(databaseUrl: string, work: (c: Client, db: string) => Promise<T>): Promise<T> {
  const { url, database } = maintenanceUrl(databaseUrl);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client, database);
  } finally {
    await client.end();
  }
}

/** Creates the database when missing; returns whether it did. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  return withMaintenanceClient(databaseUrl, async (client, database) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${ident(database)}`);
    } catch (error) {
      // Another migrator created it between our look and our create.
      if ((error as { code?: string }).code !== '42P04') throw error;
      return false;
    }
    return true;
  });
}

/** What Postgres itself enforces of the configuration (see the security_policy table). */
export interface SecurityPolicy {
  addressCoolingOffMs: number;
  securityChangeLockMs: number;
}

/**
 * Creates the database if missing, then runs every pending migration (roles and grants included), and sets
 * the security policy Postgres enforces (ADDRESS_COOLING_OFF, SECURITY_CHANGE_LOCK) when one is given.
 */
export async function migrateDatabase(
  databaseUrl: string,
  log: (line: string) => void = () => undefined,
  policy?: SecurityPolicy,
): Promise<string[]> {
  if (await ensureDatabase(databaseUrl)) log(`created database ${maintenanceUrl(databaseUrl).database}`);
  const dataSource = new DataSource(dataSourceOptions(databaseUrl, 1));
  await dataSource.initialize();
  try {
    // One migrator at a time, whichever process gets here first.
    await dataSource.query('SELECT pg_advisory_lock(hashtext($1))', ['countersign-migrations']);
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    for (const migration of ran) log(`migrated ${migration.name}`);
    if (policy) {
      await dataSource.query(
        `UPDATE security_policy SET address_cooling_off = make_interval(secs => $1), security_change_lock = make_interval(secs => $2)`,
        [policy.addressCoolingOffMs / 1000, policy.securityChangeLockMs / 1000],
      );
      log(
        `security policy: addresses usable after ${policy.addressCoolingOffMs / 1000} s, withdrawals locked ${policy.securityChangeLockMs / 1000} s after a change`,
      );
    }
    return ran.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}

/** Drops a database and the app roles its migrations made (tests clean up after themselves). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  await withMaintenanceClient(databaseUrl, async (client, database) => {
    await client.query(`DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`);
    for (const spec of appRoleSpecs(database, {})) await client.query(`DROP ROLE IF EXISTS ${ident(spec.name)}`);
  });
}
