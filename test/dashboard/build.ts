import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { copyDashboardAssets } from '../../src/dashboard/assets';

const root = path.resolve(__dirname, '../..');

/** What `npm run build` makes of the dashboard, into `outDir`: the compiled page and its copied files. */
export function buildDashboard(outDir: string): void {
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.dashboard.json', '--outDir', outDir],
    { cwd: root, stdio: 'pipe' },
  );
  copyDashboardAssets(outDir);
}
