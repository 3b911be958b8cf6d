import { loadConfig } from '@app/config';
import { DataSource } from 'typeorm';
import { verifyAuditChain } from '../audit/audit-verification';
import { dataSourceOptions } from '../data-source-options';

/** `npm run audit:verify`: walks the audit log's hash chains; exits 1 naming the first entry altered, removed or inserted. */
async function main(): Promise<number> {
  const config = loadConfig();
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl, 1));
  await dataSource.initialize();
  try {
    const report = await verifyAuditChain(dataSource);
    const [first, ...rest] = report.faults;
    if (!first) {
      console.log(`audit:verify: clean: ${report.entries} entries in ${report.chains} chains`);
      return 0;
    }
    const name = (f: typeof first) =>
      `${f.kind}${f.entryId ? ` entry ${f.entryId}` : ''} (chain ${f.chain ?? '-'}, seq ${f.seq ?? '-'}): ${f.detail}`;
    console.log(`FAIL first: ${name(first)}`);
    for (const f of rest) console.log(`     then: ${name(f)}`);
    console.log(`audit:verify: ${report.faults.length} fault(s) in ${report.entries} entries`);
    return 1;
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`audit:verify could not run: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
