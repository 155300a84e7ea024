/**
 * Two projects, told apart by file name (see ARCHITECTURE.md, "Tests"):
 * - unit: everything in-process (in-process HTTP servers are fine), 10 s per test;
 * - process: tests that spawn processes (redis-server, node, a CLI), named `*.process.test.ts`,
 *   plus every file under test/pipeline/ (all of them do), 60 s per test.
 * `npm test` runs both, `npm run test:unit` the unit ones. TypeScript runs through SWC (type
 * checking is `npm run typecheck`'s job).
 */
const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
};

const processTests = ['<rootDir>/test/pipeline/**/*.test.ts', '<rootDir>/test/**/*.process.test.ts'];

module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '/test/browser/',
        '/test/pipeline/',
        '\\.process\\.test\\.ts$',
      ],
      setupFilesAfterEnv: ['<rootDir>/test/helpers/unit-timeout.ts'],
    },
    {
      ...shared,
      displayName: 'process',
      testMatch: processTests,
      // process tests spawn the compiled roles from dist/: build once before they run
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/test/helpers/process-timeout.ts'],
    },
  ],
};
