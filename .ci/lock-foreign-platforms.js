#!/usr/bin/env node
/**
 * The registry this project's machines reach serves only the linux-x64 builds of packages that ship
 * native binaries per platform (@swc/core-*, msgpackr-extract, unrs-resolver bindings), so npm leaves
 * the other platforms' optional dependencies out of package-lock.json — and then `npm ci` refuses the
 * lockfile as out of sync. This records those optional dependencies with the os/cpu their names state,
 * so `npm ci` skips them here and installs them by name on a machine of that platform.
 * Run it after any `npm install` that rewrites the lockfile: `node .ci/lock-foreign-platforms.js`.
 */
const fs = require('fs');
const path = require('path');

const file = path.join(__dirname, '..', 'package-lock.json');
/** @typedef {{ version?: string; optional?: boolean; cpu?: string[]; os?: string[]; optionalDependencies?: Record<string, string> }} LockEntry */
/** @type {unknown} */
const parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
const lock = /** @type {{ packages: Record<string, LockEntry> }} */ (parsed);
const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony', 'netbsd', 'openbsd', 'sunos', 'aix', 'wasm32'];
const CPU = ['arm64', 'x64', 'arm', 'ia32', 'ppc64', 'riscv64', 's390x', 'loong64', 'wasm32'];

/** @param {string} name @returns {{ os: string | undefined; cpu: string | undefined }} */
function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p)) ?? (parts.includes('gnueabihf') || parts.includes('eabi') ? 'arm' : undefined);
  return { os: os === 'wasm32' ? undefined : os, cpu: cpu === 'wasm32' ? 'wasm32' : cpu };
}

let added = 0;
for (const [at, entry] of Object.entries(lock.packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const hoisted = `node_modules/${name}`;
    if (lock.packages[`${at ? `${at}/` : ''}node_modules/${name}`] || lock.packages[hoisted]) continue;
    const { os, cpu } = platformOf(name);
    lock.packages[hoisted] = {
      version: range.replace(/^[\^~=]/, ''),
      optional: true,
      ...(cpu ? { cpu: [cpu] } : {}),
      os: [os ?? 'none'],
    };
    added++;
  }
}
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-foreign-platforms: recorded ${added} optional dependencies of other platforms`);
