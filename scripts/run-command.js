#!/usr/bin/env node
/**
 * Runs one of the project's commands (`npm run db:migrate`, `ledger:verify`, …) by its source path:
 * from the compiled `dist/` where the TypeScript tool-chain is absent (the production image installs no
 * devDependencies), else straight from the TypeScript source, so a checkout never runs a stale build.
 *   node scripts/run-command.js libs/database/src/commands/migrate.command [args…]
 */
const path = require('path');

const [, , target, ...rest] = process.argv;
if (!target) {
  console.error('usage: run-command.js <source path without extension> [args…]');
  process.exit(2);
}
const root = path.join(__dirname, '..');
process.argv = [process.argv[0], target, ...rest];

let fromSource = false;
try {
  require.resolve('@swc-node/register');
  fromSource = true;
} catch {
  // production install: devDependencies absent, run the build
}
if (fromSource) {
  require('@swc-node/register');
  require(path.join(root, `${target}.ts`));
} else {
  require(path.join(root, 'dist', `${target}.js`));
}
