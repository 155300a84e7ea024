import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the dashboard's browser files are and how they get there. `npm run build` compiles the
 * page's TypeScript (tsconfig.dashboard.json) into DASHBOARD_ASSETS_DIR, then copies the files
 * below beside it: uPlot's prebuilt script and stylesheet, and the page's stylesheet.
 */

/**
 * The folder holding package.json: the same from src/ (tests) and dist/src/ (built). The build
 * also writes a copy to dist/package.json (the service reads its version from it): not that one.
 */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'dist' && existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

const ROOT = packageRoot(__dirname);

export const DASHBOARD_ASSETS_DIR = path.join(ROOT, 'dist', 'dashboard');

/** The script every page loads first: a sign the assets were built. */
export const DASHBOARD_ENTRY = 'main.js';

const COPIED: Record<string, string> = {
  'uPlot.iife.min.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
  'uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
  'dashboard.css': path.join(ROOT, 'src', 'dashboard', 'web', 'dashboard.css'),
};

/** Copies the files that are not compiled into `outDir`. */
export function copyDashboardAssets(outDir: string = DASHBOARD_ASSETS_DIR): void {
  mkdirSync(outDir, { recursive: true });
  for (const [name, source] of Object.entries(COPIED)) copyFileSync(source, path.join(outDir, name));
}
