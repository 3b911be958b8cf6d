/** Unit specs live beside the code; integration and e2e tests in test/ run against real Postgres, Redis, SMTP and push. */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testRegex: '(\\.spec|\\.e2e-spec)\\.ts$',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest'] },
  moduleNameMapper: { '^@app/(config|database|queue|ledger|crypto)(|/.*)$': '<rootDir>/libs/$1/src$2' },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 120000,
  maxWorkers: 2,
};
