import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * Process-level tests spawn the compiled proxy, workers and simulator from dist/, so build once
 * (tsc, then the Lua scripts copied beside it) before any test file runs (incremental: fast when nothing changed). Type errors do not stop
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
  // the build's other step the spawned processes need: the Lua scripts beside the compiled code
  const lua = spawnSync(process.execPath, [path.join(root, 'dist/ops/build/copy-lua.js')], {
    cwd: root,
    encoding: 'utf8',
  });
  if (lua.status !== 0) throw new Error(`[global-setup] copying the Lua scripts failed:\n${lua.stderr}`);
}
