import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The layout's directions: bin/ (entry points) stands on workers/ and src/, workers/ on src/;
 * src/ is the library both roles use and imports neither workers/ nor bin/.
 */
const root = path.resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(rel);
    return entry.name.endsWith('.ts') ? [rel] : [];
  });
}

/** The top-level folders a file imports from (relative imports only). */
function importedFolders(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map(
    (s) => path.relative(root, path.resolve(root, path.dirname(file), s)).split(path.sep)[0]!,
  );
}

describe('import boundaries', () => {
  it.each([
    ['src', ['workers', 'bin']],
    ['workers', ['bin']],
  ])('%s/ imports nothing from %j', (dir, forbidden) => {
    const offending = sources(dir as string).filter((f) =>
      importedFolders(f).some((folder) => (forbidden as string[]).includes(folder)),
    );
    expect(offending).toEqual([]);
  });

  it('keeps the entry points in bin/ only', () => {
    // src/dashboard/web/main.ts is the browser page's script, not a process
    const mains = [...sources('src'), ...sources('workers'), ...sources('ops')].filter(
      (f) => /(^|\/)main\.ts$/.test(f) && !f.startsWith('src/dashboard/web/'),
    );
    expect(mains).toEqual([]);
  });
});
