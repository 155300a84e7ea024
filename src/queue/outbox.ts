import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/logger';
import type { StatsEvent } from '../stats/types';
import { InvalidEventError, decodeEvent } from './event-codec';
import type { ErrorCode } from '../errors/registry';

/**
 * The proxy's local, durable fallback for stats events Redis did not take in time: JSON lines
 * appended to `active-<pid>.jsonl` in its folder and fsync'd before `append` resolves.
 * Concurrent appends share one write + fsync (group commit), so an outage does not make every
 * request wait for its own fsync. A group commit whose write or fsync fails (a full disk) is
 * rolled back: the file is truncated to the end of the last good commit, so the failed lines
 * (their clients were refused) are never replayed and no torn fragment glues to the next append.
 * `drain` seals the active file into a numbered segment and hands its events, oldest segment
 * first, to a delivery function; a segment is deleted only after all its events were delivered.
 * Segments left by a crash are found again by `open`. One process owns a folder at a time
 * (outbox.lock holds its pid).
 */

export interface OutboxOptions {
  dir: string;
  logger: Logger;
  /** an active file is sealed into a segment once it reaches this size (bounds replay memory) */
  maxSegmentBytes?: number;
}

export class OutboxLockedError extends Error {
  readonly code = 'PACPROXY_ERR_OUTBOX_LOCKED' satisfies ErrorCode;
  constructor(dir: string, pid: number) {
    super(`outbox folder ${dir} is in use by process ${pid}; give each proxy process its own OUTBOX_DIR`);
    this.name = 'OutboxLockedError';
  }
}

interface Segment {
  file: string;
  seq: number;
  events: number;
  /** keystems of the resets it holds, for `holdsResetOf` */
  resets: string[];
}

interface PendingAppend {
  line: string;
  /** the keystem of a reset, else null */
  reset: string | null;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A group commit's write failed and the file could not be cut back to its last good end. */
export class OutboxDamagedError extends Error {
  readonly code = 'PACPROXY_ERR_OUTBOX_DAMAGED';
  constructor(file: string, cause: unknown) {
    super(`outbox file ${file} could not be rolled back after a failed write`, { cause });
    this.name = 'OutboxDamagedError';
  }
}

/** Free space below which the outbox reports it has no room (a few events' worth). */
const MIN_FREE_BYTES = 16 * 1024;

const SEGMENT = /^segment-(\d+)\.jsonl$/;
const ACTIVE = /^active-\d+\.jsonl$/;

export class Outbox {
  private readonly activeFile: string;
  private readonly maxSegmentBytes: number;
  private handle: fs.FileHandle | null = null;
  private activeEvents = 0;
  /** the end of the last good commit: a failed one is truncated back to it */
  private activeBytes = 0;
  private activeResets: string[] = [];
  /** keystem → resets written or being written and not yet delivered */
  private readonly undeliveredResets = new Map<string, number>();
  private segments: Segment[] = [];
  private nextSeq = 1;
  private pending: PendingAppend[] = [];
  private flushQueued = false;
  /** serialises file work: flushes, sealing, closing */
  private tail: Promise<void> = Promise.resolve();
  private pendingCount = 0;
  /** a rollback failed: the active file must be cut back before anything is written to it */
  private damaged = false;

  private constructor(private readonly opts: OutboxOptions) {
    this.activeFile = path.join(opts.dir, `active-${process.pid}.jsonl`);
    this.maxSegmentBytes = opts.maxSegmentBytes ?? 8 * 1024 * 1024;
  }

  /** Takes the folder, seals files a previous process left, and counts what waits for replay. */
  static async open(opts: OutboxOptions): Promise<Outbox> {
    await fs.mkdir(opts.dir, { recursive: true });
    const outbox = new Outbox(opts);
    await outbox.lock();
    await outbox.recover();
    return outbox;
  }

  /** Events written (or being written) and not yet delivered. */
  get depth(): number {
    return this.pendingCount + this.activeEvents + this.segments.reduce((n, s) => n + s.events, 0);
  }

  isEmpty(): boolean {
    return this.depth === 0;
  }

  /**
   * True while a reset of the keystem waits here: later events of that keystem must follow it
   * through the outbox, or the reset, delivered after them, would wipe them out.
   */
  holdsResetOf(keystem: string): boolean {
    return this.undeliveredResets.has(keystem);
  }

  /** Whether the outbox's filesystem has room for more events (statfs; false when unknown). */
  async hasRoom(): Promise<boolean> {
    try {
      const fsStats = await fs.statfs(this.opts.dir);
      return fsStats.bavail * fsStats.bsize >= MIN_FREE_BYTES;
    } catch {
      return false;
    }
  }

  /** Resolves once the event is on disk (written and fsync'd); rejects if it is not. */
  append(event: StatsEvent): Promise<void> {
    const reset = event.kind === 'reset' ? event.keystem : null;
    const done = new Promise<void>((resolve, reject) => {
      this.pending.push({ line: `${JSON.stringify(event)}\n`, reset, resolve, reject });
    });
    if (reset) this.countResets([reset], 1);
    this.pendingCount += 1;
    if (!this.flushQueued) {
      this.flushQueued = true;
      // not awaited: each append waits on its own promise, which flushPending settles; what can
      // fail after that (sealing a full segment) is logged, and the next flush seals again
      this.serial(() => this.flushPending()).catch((err: unknown) =>
        this.opts.logger.error({ err }, 'outbox: sealing a segment failed'),
      );
    }
    return done;
  }

  /**
   * Delivers every event written so far, oldest first, in chunks of at most `chunkSize`.
   * A segment is deleted after its last chunk was delivered; if `deliver` throws, drain stops
   * and the segment stays for the next drain (delivery must be idempotent).
   */
  async drain(deliver: (events: StatsEvent[]) => Promise<void>, chunkSize = 500): Promise<number> {
    await this.serial(() => this.seal());
    let delivered = 0;
    for (const segment of [...this.segments]) {
      const events = await this.readSegment(segment.file);
      for (let i = 0; i < events.length; i += chunkSize) {
        await deliver(events.slice(i, i + chunkSize));
      }
      await fs.unlink(path.join(this.opts.dir, segment.file));
      await this.syncDir();
      this.segments = this.segments.filter((s) => s !== segment);
      this.countResets(segment.resets, -1);
      delivered += events.length;
    }
    return delivered;
  }

  /** Flushes what is pending and closes the file; undelivered events stay for the next open. */
  async close(): Promise<void> {
    await this.serial(async () => {
      await this.handle?.close();
      this.handle = null;
    });
    await fs.rm(this.lockFile(), { force: true });
  }

  private serial(work: () => Promise<void>): Promise<void> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** One write and one fsync for every append that arrived since the last flush. */
  private async flushPending(): Promise<void> {
    this.flushQueued = false;
    const batch = this.pending;
    this.pending = [];
    this.pendingCount -= batch.length;
    const data = batch.map((p) => p.line).join('');
    try {
      const handle = await this.openActive();
      await handle.appendFile(data);
      await handle.datasync();
    } catch (err) {
      this.countResets(resetsOf(batch), -1);
      const failure = await this.rollBack(err);
      for (const p of batch) p.reject(failure);
      return;
    }
    this.activeEvents += batch.length;
    this.activeBytes += Buffer.byteLength(data);
    this.activeResets.push(...resetsOf(batch));
    for (const p of batch) p.resolve();
    if (this.activeBytes >= this.maxSegmentBytes) await this.seal();
  }

  /**
   * Cuts the active file back to the end of the last good commit, so nothing of a failed one
   * stays. Should that fail too, the handle is dropped and the next flush tries again before
   * writing; until then every append is refused (answers the reason).
   */
  private async rollBack(writeError: unknown): Promise<unknown> {
    this.opts.logger.warn({ err: writeError }, 'outbox write failed; rolling the group commit back');
    try {
      const handle = await this.openActive();
      await handle.truncate(this.activeBytes);
      await handle.datasync();
      return writeError;
    } catch (err) {
      await this.handle?.close().catch(() => undefined);
      this.handle = null;
      this.damaged = true;
      return new OutboxDamagedError(this.activeFile, err);
    }
  }

  private async openActive(): Promise<fs.FileHandle> {
    if (this.handle) return this.handle;
    const handle = await fs.open(this.activeFile, 'a');
    try {
      if (this.damaged) {
        await handle.truncate(this.activeBytes);
        await handle.datasync();
        this.damaged = false;
      }
      await this.syncDir();
    } catch (err) {
      await handle.close();
      throw err;
    }
    this.handle = handle;
    return handle;
  }

  /** Renames the active file into the next segment; new appends start a fresh active file. */
  private async seal(): Promise<void> {
    if (this.activeEvents === 0) return;
    // a failed commit whose rollback failed too is cut off first: in a segment it would be replayed
    if (this.damaged) await this.openActive();
    await this.handle?.close();
    this.handle = null;
    const file = `segment-${this.nextSeq}.jsonl`;
    await fs.rename(this.activeFile, path.join(this.opts.dir, file));
    await this.syncDir();
    this.segments.push({ file, seq: this.nextSeq, events: this.activeEvents, resets: this.activeResets });
    this.nextSeq += 1;
    this.activeEvents = 0;
    this.activeBytes = 0;
    this.activeResets = [];
  }

  /** Seals active files left by earlier processes and counts every segment's events. */
  private async recover(): Promise<void> {
    const names = await fs.readdir(this.opts.dir);
    for (const name of names) {
      const seq = SEGMENT.exec(name)?.[1];
      if (seq) this.nextSeq = Math.max(this.nextSeq, Number(seq) + 1);
    }
    for (const name of names.filter((n) => ACTIVE.test(n))) {
      const file = `segment-${this.nextSeq++}.jsonl`;
      await fs.rename(path.join(this.opts.dir, name), path.join(this.opts.dir, file));
    }
    await this.syncDir();
    const segments: Segment[] = [];
    for (const name of await fs.readdir(this.opts.dir)) {
      const seq = SEGMENT.exec(name)?.[1];
      if (!seq) continue;
      const events = await this.readSegment(name);
      const resets = events.filter((e) => e.kind === 'reset').map((e) => e.keystem);
      segments.push({ file: name, seq: Number(seq), events: events.length, resets });
      this.countResets(resets, 1);
    }
    this.segments = segments.sort((a, b) => a.seq - b.seq);
    if (this.depth > 0) {
      this.opts.logger.warn(
        { events: this.depth, segments: this.segments.length },
        'outbox holds events from an earlier run',
      );
    }
  }

  /**
   * Events of a segment in order. A last line without its newline is an append a crash cut
   * short (never acknowledged): skipped with a warning. Any other unreadable line is logged.
   */
  private async readSegment(file: string): Promise<StatsEvent[]> {
    const text = await fs.readFile(path.join(this.opts.dir, file), 'utf8');
    const lines = text.split('\n');
    const torn = lines.pop();
    if (torn) this.opts.logger.warn({ file, bytes: torn.length }, 'outbox: skipping a torn last line');
    const events: StatsEvent[] = [];
    lines.forEach((line, index) => {
      try {
        events.push(decodeEvent(JSON.parse(line)));
      } catch (err) {
        const reason = err instanceof InvalidEventError ? err.reason : 'not JSON';
        this.opts.logger.error({ file, line: index + 1, reason }, 'outbox: skipping an unreadable line');
      }
    });
    return events;
  }

  private countResets(keystems: readonly string[], by: 1 | -1): void {
    for (const keystem of keystems) {
      const n = (this.undeliveredResets.get(keystem) ?? 0) + by;
      if (n > 0) this.undeliveredResets.set(keystem, n);
      else this.undeliveredResets.delete(keystem);
    }
  }

  private async syncDir(): Promise<void> {
    const dir = await fs.open(this.opts.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private lockFile(): string {
    return path.join(this.opts.dir, 'outbox.lock');
  }

  private async lock(): Promise<void> {
    const file = this.lockFile();
    const stat: Stats | null = await fs.stat(file).catch(() => null);
    if (stat) {
      const pid = Number((await fs.readFile(file, 'utf8')).trim());
      if (pid && pid !== process.pid && isAlive(pid)) throw new OutboxLockedError(this.opts.dir, pid);
    }
    await fs.writeFile(file, `${process.pid}\n`);
  }
}

function resetsOf(batch: readonly PendingAppend[]): string[] {
  return batch.flatMap((p) => (p.reset ? [p.reset] : []));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
