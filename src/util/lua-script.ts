import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A Lua script kept in its own file, in the `lua` folder beside the module that runs it
 * (`npm run build` copies those folders into dist). Names carry a version (`add-jobs-3.lua`):
 * a changed script gets a new name, so a reader can tell which one a Redis has loaded.
 */
export function luaScript(moduleDir: string, name: string): string {
  return readFileSync(path.join(moduleDir, 'lua', name), 'utf8');
}
