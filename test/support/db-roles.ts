import { AppRole } from '@app/config';
import { Client, DatabaseError } from 'pg';
import { TestEnvironment } from './test-suite';

/** A plain pg connection with one app's own credentials, as a stolen password or a compromised app would have. */
export async function connectAs(env: TestEnvironment, role: AppRole): Promise<Client> {
  const client = new Client({ connectionString: env.config().databaseUrls[role], application_name: `test-as-${role}` });
  await client.connect();
  // The run's database is dropped at the end, its connections terminated: a test's late end() is not an error.
  client.on('error', () => undefined);
  return client;
}

export interface SqlRefusal {
  code: string;
  constraint?: string;
  message: string;
}

/** The SQLSTATE (and constraint) a statement was refused with, or undefined when Postgres accepted it. */
export async function refusal(statement: Promise<unknown>): Promise<SqlRefusal | undefined> {
  try {
    await statement;
    return undefined;
  } catch (error) {
    if (!(error instanceof DatabaseError)) throw error;
    return { code: error.code!, constraint: error.constraint, message: error.message };
  }
}

/** Runs `work` in a transaction that is always rolled back: a probe that leaves nothing behind even if Postgres lets it through. */
export async function probe<T>(client: Client, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    return await work();
  } finally {
    await client.query('ROLLBACK');
  }
}
