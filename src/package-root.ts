import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The folder holding package.json: the same from src/ (tests) and dist/src/ (built). The build
 * also writes a copy to dist/package.json (the service reads its version from it): not that one.
 */
export function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'dist' && existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
