/** `npm run test:browser`: Debian's chromium driven by playwright-core against the real app. */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/test/browser'],
  testMatch: ['**/*.browser.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // imports the TypeScript sources through SWC; nothing is spawned from dist/
  testTimeout: 120_000,
};
