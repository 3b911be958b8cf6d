import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { POSTGRES_ADMIN, REDIS_URL } from './support/test-suite';

/**
 * `npm run demo` is what the README tells a newcomer to run first: the three apps as processes and a
 * simulated customer taking one withdrawal from request to ledger. It broke once without any test noticing
 * (a device registered after TOTP was active needs a code), so it runs here as a user would run it.
 */
describe('npm run demo', () => {
  it('takes one withdrawal from request to posted, with a clean ledger, and exits 0', async () => {
    const root = join(__dirname, '..');
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        ['-r', '@swc-node/register', join(root, 'test/demo/run-demo.ts')],
        { cwd: root, env: { ...process.env, DATABASE_URL: `${POSTGRES_ADMIN}/countersign`, REDIS_URL }, timeout: 150_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
      );
    });
    expect({ code, tail: output.split('\n').slice(-6) }).toMatchObject({ code: 0 });
    expect(output).toMatch(/withdrawal posted at /);
    expect(output).toMatch(/outcome email: "Your withdrawal was confirmed and sent: 0\.4 BTC"/);
    expect(output).toMatch(/ledger verification: clean/);
    expect(output).toMatch(/stopped the apps; dropped the demo database and queue keys/);
  }, 180_000);
});
