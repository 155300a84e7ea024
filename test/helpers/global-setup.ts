import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Process-level tests spawn the compiled proxy, workers and simulator from dist/, so build once
 * before any test file runs (incremental: fast when nothing changed).
 */
export default function globalSetup(): void {
  const root = path.resolve(__dirname, '../..');
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}
