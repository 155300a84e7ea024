import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Entry points live in bin/ only. The import directions between folders are the lint step's
 * (`no-restricted-imports` in eslint.config.mjs); where a file may live is checked here.
 */
const root = path.resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(rel);
    return entry.name.endsWith('.ts') ? [rel] : [];
  });
}

describe('layout', () => {
  it('keeps the entry points in bin/ only', () => {
    // src/dashboard/web/main.ts is the browser page's script, not a process
    const mains = [...sources('src'), ...sources('workers'), ...sources('ops')].filter(
      (f) => /(^|\/)main\.ts$/.test(f) && !f.startsWith('src/dashboard/web/'),
    );
    expect(mains).toEqual([]);
  });
});
