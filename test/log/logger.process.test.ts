import { spawn } from 'node:child_process';
import path from 'node:path';
import { waitFor } from '../helpers/wait';

const logger = path.resolve(__dirname, '../../dist/src/log/logger.js');

/** Runs `code` in a Node process with `createLogger` in scope; collects its stdout. */
function run(code: string): { stdout: () => string; exited: Promise<number | null>; kill: () => void } {
  let stdout = '';
  const child = spawn(
    process.execPath,
    ['-e', `const { createLogger } = require(${JSON.stringify(logger)});\n${code}`],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { stdout: () => stdout, exited, kill: () => child.kill('SIGKILL') };
}

const messages = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).msg);

describe('createLogger to stdout (batched)', () => {
  it('writes a lone line soon, while the process keeps running', async () => {
    const proc = run(`createLogger('info').info('lonely'); setInterval(() => {}, 1000);`);
    try {
      await waitFor(() => proc.stdout().includes('"lonely"'), { timeoutMs: 5000, what: 'the line' });
    } finally {
      proc.kill();
    }
  });

  it('writes what is pending when the process exits', async () => {
    const proc = run(`const log = createLogger('info'); log.info('one'); log.warn('two'); process.exit(3);`);
    expect(await proc.exited).toBe(3);
    expect(messages(proc.stdout())).toEqual(['one', 'two']);
  });

  it('keeps every line whole and in order under a burst', async () => {
    const proc = run(
      `const log = createLogger('info'); for (let i = 0; i < 5000; i++) log.info({ i }, 'burst');` +
        ` setTimeout(() => process.exit(0), 50);`,
    );
    expect(await proc.exited).toBe(0);
    const lines = proc
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});
