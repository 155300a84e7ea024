import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../package-root';

/**
 * Where the dashboard's browser files are and how they get there. `npm run build` compiles the
 * page's TypeScript (tsconfig.dashboard.json) into DASHBOARD_ASSETS_DIR, then copies the files
 * below beside it: uPlot's prebuilt script and stylesheet, and the page's stylesheet.
 */

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
