// The process project's per-test timeout (jest.config.js): a project's own `testTimeout` is not applied.
jest.setTimeout(60_000);
