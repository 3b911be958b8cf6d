const fs = require('fs');
const path = require('path');

/**
 * Packages published as ES modules only (NestJS 12, jose 6, otplib 13's helpers…). Jest's module system on
 * Node 20 cannot require them, so they are compiled to CommonJS like our own code; found by their
 * package.json rather than listed, so that an upgrade needs no edit here.
 */
function esmOnlyPackages(root = path.join(__dirname, 'node_modules')) {
  /** @type {Set<string>} */
  const found = new Set();
  /** @param {string} dir @param {number} depth */
  const visit = (dir, depth) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        visit(full, depth);
        continue;
      }
      try {
        /** @type {unknown} */
        const parsed = JSON.parse(fs.readFileSync(path.join(full, 'package.json'), 'utf8'));
        const pkg = /** @type {{ name: string; type?: string }} */ (parsed);
        if (pkg.type === 'module') found.add(pkg.name);
      } catch {
        // not a package
      }
      if (depth < 3) visit(path.join(full, 'node_modules'), depth + 1);
    }
  };
  visit(root, 0);
  return [...found].map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
}

/** Unit specs live beside the code; integration and e2e tests in test/ run against real Postgres, Redis, SMTP and push. */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testRegex: '(\\.spec|\\.e2e-spec)\\.ts$',
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest'] },
  moduleNameMapper: { '^@app/(config|database|domain|queue|crypto|logging)(|/.*)$': '<rootDir>/libs/$1/src$2' },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages().join('|')})/)`],
  testTimeout: 120000,
  maxWorkers: 2,
};
