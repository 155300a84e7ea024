import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

/** The lock holder: opens the file, takes SQLite's write lock with BEGIN EXCLUSIVE, says so, waits. */
const holder = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('journal_mode = WAL');
db.exec('BEGIN EXCLUSIVE');
process.stdout.write('locked\\n');
setInterval(() => undefined, 1 << 30);
`;

/**
 * Another process holding the SQLite file's write lock (BEGIN EXCLUSIVE), as a stuck backup or
 * a hung sibling would: every commit of Pacproxy's store fails with SQLITE_BUSY until release().
 */
export class StoreLock {
  private constructor(private readonly child: ChildProcess) {}

  static async take(file: string): Promise<StoreLock> {
    const child = spawn(process.execPath, ['-e', holder, file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the lock holder exited (${code})`)));
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('locked')) resolve();
      });
    });
    return new StoreLock(child);
  }

  /** Ends the holder (the lock goes with its process). */
  async release(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}
