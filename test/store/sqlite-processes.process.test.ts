import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SqliteStore } from '../../src/store/sqlite';
import { generateEvents, reference } from './conformance';

const run = promisify(execFile);
const compiledStore = path.resolve(__dirname, '../../dist/src/store/sqlite.js');

/** A worker process: applies its batches to the shared file, prints how many events it applied. */
const child = `
const { SqliteStore } = require(process.argv[1]);
const batches = JSON.parse(require('node:fs').readFileSync(process.argv[3], 'utf8'));
(async () => {
  const store = new SqliteStore({ path: process.argv[2], busyTimeoutMs: 5000 }); // no retry loop here
  await store.init();
  let applied = 0;
  for (const batch of batches) applied += (await store.applyBatch(batch)).applied;
  await store.close();
  process.stdout.write(String(applied));
})();
`;

describe('SqliteStore shared by several processes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pacproxy-sqlite-procs-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts every event once when processes apply overlapping batches at the same time', async () => {
    const file = path.join(dir, 'stats.db');
    const events = generateEvents(3000, 20, 7);
    // three processes; each event is in the batches of two of them (a re-delivery to another owner)
    const shares = [0, 1, 2].map((p) => events.filter((_, i) => i % 3 !== p));
    const applied = await Promise.all(
      shares.map(async (share, p) => {
        const batches = Array.from({ length: Math.ceil(share.length / 100) }, (_, b) =>
          share.slice(b * 100, (b + 1) * 100),
        );
        const batchFile = path.join(dir, `batches-${p}.json`);
        writeFileSync(batchFile, JSON.stringify(batches));
        const { stdout } = await run(process.execPath, ['-e', child, compiledStore, file, batchFile], {
          timeout: 60_000,
        });
        return Number(stdout);
      }),
    );
    expect(applied.reduce((a, b) => a + b, 0)).toBe(3000);

    const store = new SqliteStore({ path: file });
    await store.init();
    for (const [keystem, totals] of reference(events)) {
      expect(await store.getKeystem(keystem)).toEqual({ keystem, updatedAt: expect.any(String), ...totals });
    }
    await store.close();
  });
});
