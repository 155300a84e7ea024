import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * Process-level tests spawn the compiled proxy, workers and simulator from dist/, so build once
 * before any test file runs (incremental: fast when nothing changed). Type errors do not stop
 * the tests (tsc still emits; `npm run typecheck` is the gate for types), a broken build does.
 */
export default function globalSetup(): void {
  const root = path.resolve(__dirname, '../..');
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (build.status !== 0)
    process.stderr.write(`\n[global-setup] tsc reported problems:\n${build.stdout}${build.stderr}\n`);
  if (build.error) throw build.error;
}
