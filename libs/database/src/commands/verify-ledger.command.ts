import { loadConfig } from '@app/config';
import { dataSourceOptions } from '../data-source-options';
import { DataSource } from 'typeorm';
import { LEDGER_CHECKS, verifyLedger } from '../ledger/ledger-verification';

/** `npm run ledger:verify`: exits 1 and prints the rows at fault when any invariant is broken. */
async function main(): Promise<number> {
  const config = loadConfig();
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl, 1));
  await dataSource.initialize();
  try {
    const faults = await verifyLedger(dataSource);
    for (const check of Object.keys(LEDGER_CHECKS)) {
      const fault = faults.find((f) => f.check === check);
      console.log(`${fault ? 'FAIL' : 'ok  '} ${check}`);
      if (fault) for (const row of fault.rows) console.log(`       ${JSON.stringify(row)}`);
    }
    console.log(faults.length ? `ledger:verify: ${faults.length} check(s) failed` : 'ledger:verify: clean');
    return faults.length ? 1 : 0;
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`ledger:verify could not run: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
