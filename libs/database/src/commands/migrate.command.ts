import { loadConfig } from '@app/config';
import { migrateDatabase } from '../database-admin';

/** `npm run db:migrate`: the database, its three roles with their grants, and the schema. */
async function main(): Promise<void> {
  const config = loadConfig();
  const ran = await migrateDatabase(config.databaseUrl, (line) => console.log(line), config);
  console.log(ran.length ? `done: ${ran.length} migration(s) applied` : 'done: the schema is up to date');
}

main().catch((error) => {
  console.error(`db:migrate failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
