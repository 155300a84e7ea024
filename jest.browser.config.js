/** `npm run test:browser`: Debian's chromium driven by playwright-core against the real app. */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/browser'],
  testMatch: ['**/*.browser.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  // imports the TypeScript sources through SWC; nothing is spawned from dist/
  globalSetup: undefined,
  testTimeout: 120_000,
};
