#!/usr/bin/env node
// `npm test` runs this first (the `pretest` script). Besides Node, Postgres and Redis, the tests need two
// programs from Debian: oathtool (OATH Toolkit), the TOTP client independent of our own code, and
// chromium, the customer's browser, driven by playwright-core. When one is missing this installs it with
// apt-get (as root, or through sudo without a password), saying what it does; when it cannot, it stops the
// test run with what to install and how.
'use strict';

const { existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');

const NEEDED = [
  { path: '/usr/bin/oathtool', debian: 'oathtool', for: 'the TOTP tests (an authenticator independent of ours)' },
  { path: '/usr/bin/chromium', debian: 'chromium', for: 'the browser tests (driven by playwright-core)' },
];

const missing = () => NEEDED.filter((n) => !existsSync(n.path));

const absent = missing();
if (absent.length === 0) process.exit(0);

const packages = absent.map((n) => n.debian);
const by = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
/** @param {string[]} args @returns {string[]} an apt-get command line, through sudo when not root */
const apt = (...args) => [...by, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', '-o', 'DPkg::Lock::Timeout=120', ...args];
const steps = [apt('update', '-q'), apt('install', '-y', '-q', '--no-install-recommends', ...packages)];

/** Stops the test run: why, what is missing, and how to install it. @param {string} reason @returns {never} */
function fail(reason) {
  console.error(
    [
      `pretest: ${reason}`,
      ...absent.map((n) => `  missing ${n.path} (Debian package ${n.debian}), needed for ${n.for}`),
      `Install ${absent.length > 1 ? 'them' : 'it'} as root, then run the tests again:`,
      `  apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')}`,
      '(or with sudo in front of each apt-get; on other systems, install OATH Toolkit and Chromium so that the',
      ' paths above exist)',
    ].join('\n'),
  );
  process.exit(1);
}

if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) fail('apt-get is not available here to install what is missing.');
if (by.length && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status !== 0) {
  fail('not running as root, and sudo cannot be used without a password to install what is missing.');
}

console.log(`pretest: ${absent.map((n) => n.path).join(' and ')} missing: installing ${packages.join(' ')} with apt-get`);
for (const step of steps) {
  console.log(`pretest: ${step.join(' ')}`);
  const run = spawnSync(step[0], step.slice(1), { stdio: 'inherit' });
  if (run.status !== 0) fail(`\`${step.join(' ')}\` failed (${run.error ? run.error.message : `exit ${run.status ?? run.signal}`}).`);
}

const still = missing();
if (still.length) fail(`apt-get finished, but ${still.map((n) => n.path).join(' and ')} still missing.`);
console.log(`pretest: installed ${packages.join(' ')}`);
