import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../package-root';
import type { StatsEvent } from '../stats/types';
import { notReady, StoreError } from './errors';
import type { SqliteStoreOptions } from './sqlite';
import type { ExpiringLedger, HourRange, PageQuery, ShardCountProposal, StatsStore } from './types';

type ThreadedStore = StatsStore & ExpiringLedger;
/** A store method the thread runs. */
export type ThreadMethod = keyof ThreadedStore;
type Answer<M extends ThreadMethod> = Awaited<ReturnType<ThreadedStore[M]>>;

export interface ThreadCall {
  id: number;
  method: ThreadMethod;
  args: unknown[];
}

/** An error as it crosses the thread boundary: what callers and logs read of it. */
export interface ThreadError {
  name: string;
  message: string;
  code?: unknown;
}

export type ThreadReply = { id: number; value: unknown } | { id: number; error: ThreadError };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * The SQLite store on a thread of its own (sqlite-thread-entry.ts runs a SqliteStore there):
 * better-sqlite3 is synchronous, so on the event loop every batch commit — an fsync, since
 * synchronous=FULL — and every long history read stopped the process, which in `npm start` is
 * also the proxy (its p99). Here they run beside it; calls are answered in the order made.
 *
 * Should the thread die (a crash in native code, say), the calls it held fail, and the next call
 * starts a new thread, initialised again if the store was (init is idempotent).
 */
export class SqliteThreadStore implements ThreadedStore {
  private thread: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private initialised = false;
  private closed = false;

  /**
   * `onThreadStopped`: told when a thread ends while the store is open (a crash), with its exit
   * code and the error it died of, if any; the next call starts a new one.
   */
  constructor(
    private readonly options: SqliteStoreOptions,
    private readonly onThreadStopped: (stop: { exitCode: number; err: Error | null }) => void = () =>
      undefined,
  ) {}

  async init(): Promise<void> {
    if (this.closed) throw notReady();
    await this.call('init');
    this.initialised = true;
  }

  applyBatch(events: readonly StatsEvent[]) {
    return this.call<'applyBatch'>('applyBatch', events);
  }
  getKeystem(keystem: string) {
    return this.call<'getKeystem'>('getKeystem', keystem);
  }
  getSummary() {
    return this.call<'getSummary'>('getSummary');
  }
  listKeystems(page: PageQuery) {
    return this.call<'listKeystems'>('listKeystems', page);
  }
  getKeystemHistory(keystem: string, ranges: readonly HourRange[]) {
    return this.call<'getKeystemHistory'>('getKeystemHistory', keystem, ranges);
  }
  getSummaryHistory(ranges: readonly HourRange[]) {
    return this.call<'getSummaryHistory'>('getSummaryHistory', ranges);
  }
  expireHistory(now?: number) {
    return this.call<'expireHistory'>('expireHistory', now);
  }
  expireLedger(now?: number) {
    return this.call<'expireLedger'>('expireLedger', now);
  }
  recordShardCount(proposal: ShardCountProposal) {
    return this.call<'recordShardCount'>('recordShardCount', proposal);
  }
  recordedShardCount() {
    return this.call<'recordedShardCount'>('recordedShardCount');
  }
  ping() {
    return this.call<'ping'>('ping');
  }

  /** Closes the database, then ends the thread — that even when the close fails. */
  async close(): Promise<void> {
    this.closed = true;
    const thread = this.thread;
    if (!thread) return;
    try {
      await this.send(thread, 'close', []);
    } catch (err) {
      // a thread that died took its database with it: nothing is left to close
      if (!(err instanceof ThreadStopped)) throw err;
    } finally {
      this.thread = null;
      await thread.terminate();
    }
  }

  private call<M extends ThreadMethod>(method: M, ...args: unknown[]): Promise<Answer<M>> {
    if (this.closed) return Promise.reject(notReady());
    return this.send(this.thread ?? this.start(), method, args) as Promise<Answer<M>>;
  }

  private send(thread: Worker, method: ThreadMethod, args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      thread.postMessage({ id, method, args } satisfies ThreadCall);
    });
  }

  private start(): Worker {
    const thread = new Worker(entryScript(), { workerData: this.options });
    this.thread = thread;
    let crash: Error | null = null;
    thread.on('message', (reply: ThreadReply) => this.settle(reply));
    thread.on('error', (err) => (crash = err));
    thread.on('exit', (code) => {
      if (this.thread !== thread) return; // ended by close()
      this.thread = null;
      this.onThreadStopped({ exitCode: code, err: crash });
      const stopped = new ThreadStopped(code, crash);
      for (const { reject } of this.pending.values()) reject(stopped);
      this.pending.clear();
    });
    // a new thread after a crash: opened again before the calls that follow
    if (this.initialised) this.send(thread, 'init', []).catch(() => undefined);
    return thread;
  }

  private settle(reply: ThreadReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if ('error' in reply) pending.reject(errorFrom(reply.error));
    else pending.resolve(reply.value);
  }
}

/** What the calls a thread held fail with when it dies. */
class ThreadStopped extends Error {
  constructor(exitCode: number, cause: Error | null) {
    super(`the SQLite store's thread stopped (exit code ${exitCode}) before answering`, { cause });
    this.name = 'ThreadStopped';
  }
}

/** The error a thread reported, as the store would have thrown it on this thread. */
function errorFrom({ name, message, code }: ThreadError): Error {
  if (name === 'StoreError') return new StoreError(code as StoreError['code'], message);
  return Object.assign(new Error(message), { name, ...(code === undefined ? {} : { code }) });
}

/**
 * The thread's script, compiled: beside this module once built; under Jest, which runs src/ as
 * TypeScript, its compiled twin in dist/ (the process tests' global setup builds it).
 */
function entryScript(): string {
  const name = 'sqlite-thread-entry.js';
  const beside = path.join(__dirname, name);
  if (existsSync(beside)) return beside;
  const root = packageRoot(__dirname);
  return path.join(root, 'dist', path.relative(root, __dirname), name);
}
