import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateAppKeyFiles, KeyHolder } from '../app-key-files';

/**
 * `npm run keys:generate -- --out <dir>`: a fresh set of keys, one directory per holder (api, notifier,
 * confirmer, wallet: `<dir>/<holder>/app.env`; the exchange's demo token key: `<dir>/exchange/jwt-private.pem`),
 * each file readable by its owner only. Give each app its own directory and nothing else. Existing keys are
 * never overwritten: the command says so and changes nothing. Key values are never printed.
 */
function main(): void {
  const outIndex = process.argv.indexOf('--out');
  const out = outIndex > 0 ? process.argv[outIndex + 1] : undefined;
  if (!out) {
    console.error('usage: npm run keys:generate -- --out <directory>');
    process.exit(2);
  }
  if (existsSync(join(out, 'api', 'app.env'))) {
    console.log(`keys:generate: keys already in ${out}; nothing changed`);
    return;
  }
  const { envFiles, exchangeJwtPrivateKeyPem } = generateAppKeyFiles();
  const write = (holder: KeyHolder | 'exchange', file: string, content: string) => {
    const dir = join(out, holder);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, file), content, { mode: 0o600, flag: 'wx' });
    chmodSync(join(dir, file), 0o600);
    console.log(`keys:generate: wrote ${join(dir, file)}`);
  };
  for (const [holder, content] of Object.entries(envFiles) as [KeyHolder, string][]) write(holder, 'app.env', content);
  write('exchange', 'jwt-private.pem', exchangeJwtPrivateKeyPem);
}

main();
