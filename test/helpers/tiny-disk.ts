import { execFile } from 'node:child_process';
import { closeSync, ftruncateSync, fstatSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whether this process may mount one (root, as in CI's container): tests that need it skip elsewhere. */
export const CAN_MOUNT_DISKS = process.getuid?.() === 0;

/**
 * A real, tiny filesystem (tmpfs of a few hundred KB) mounted on a folder, to run out of
 * space for real: writes fail with ENOSPC, part-way through when they straddle the end.
 * Mounting needs root (CAP_SYS_ADMIN); `mount` answers null where it is not allowed, and the
 * tests that need a full disk are skipped there.
 */
export class TinyDisk {
  private readonly filler: string;

  private constructor(readonly dir: string) {
    this.filler = path.join(dir, '.filler');
  }

  static async mount(dir: string, bytes: number): Promise<TinyDisk | null> {
    mkdirSync(dir, { recursive: true });
    try {
      await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
    } catch {
      return null;
    }
    return new TinyDisk(dir);
  }

  /** Fills the filesystem, then gives back `leaveBytes` (rounded to its pages) for others. */
  fill(leaveBytes = 0): void {
    const fd = openSync(this.filler, 'w');
    try {
      const chunk = Buffer.alloc(4096, 120);
      for (;;) {
        try {
          if (writeSync(fd, chunk) < chunk.length) break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
      if (leaveBytes > 0) ftruncateSync(fd, Math.max(0, fstatSync(fd).size - leaveBytes));
    } finally {
      closeSync(fd);
    }
  }

  /** Frees what `fill` took. */
  free(): void {
    rmSync(this.filler, { force: true });
  }

  async unmount(): Promise<void> {
    await run('umount', ['-l', this.dir]).catch(() => undefined);
  }
}
