import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { WORKER_NODE_OPTIONS } from '../../src/lifecycle/heap';

/**
 * Every way of starting shard workers gives Node WORKER_NODE_OPTIONS (src/lifecycle/heap.ts):
 * they are read when V8 sets up its heap, so only the command line can carry them.
 */
const root = path.join(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

describe('Node options of the processes that run shard workers', () => {
  it.each([
    ['start', 'dist/bin/pacproxy.js'],
    ['start:worker', 'dist/bin/worker.js'],
  ])('npm run %s', (name, script) => {
    expect(scripts[name]).toContain(`exec node ${WORKER_NODE_OPTIONS.join(' ')} ${script}`);
  });

  it('this Node accepts them (a misspelt V8 flag stops Node at start)', () => {
    const run = spawnSync(process.execPath, [...WORKER_NODE_OPTIONS, '-e', '0'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('the proxy alone does without them', () => {
    expect(scripts['start:proxy']).toContain('exec node dist/bin/pacproxy.js proxy');
  });

  it("the compose stack's worker", () => {
    const compose = parse(read('docker-compose.yml')) as {
      services: Record<string, { command?: string[] }>;
    };
    expect(compose.services.worker?.command).toEqual(['node', ...WORKER_NODE_OPTIONS, 'dist/bin/worker.js']);
  });
});
