import { cpSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/package-root';

/**
 * A step of `npm run build`: the Lua scripts (each module's `lua` folder) beside the compiled
 * modules that read them (src/util/lua-script.ts), since tsc copies no other files. Each copy
 * replaces the folder, so a script renamed to its next version leaves no old copy behind.
 */
const LUA_FOLDERS = ['src/queue/lua', 'workers/lua'];

const root = packageRoot(__dirname);
for (const folder of LUA_FOLDERS) {
  const from = path.join(root, folder);
  if (!existsSync(from)) throw new Error(`no Lua folder ${folder}`);
  const to = path.join(root, 'dist', folder);
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}
