// The unit project's per-test timeout (jest.config.js): a project's own `testTimeout` is not applied.
jest.setTimeout(10_000);
