import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore, type SqliteStoreOptions } from './sqlite';
import type { ThreadCall, ThreadError, ThreadReply } from './sqlite-thread';

/**
 * The thread of a SqliteThreadStore (sqlite-thread.ts): one SqliteStore, each call run after
 * the one before it and answered with its value or its error.
 */
const port = parentPort;
if (!port) throw new Error('sqlite-thread-entry runs as a worker thread of SqliteThreadStore');
const store = new SqliteStore(workerData as SqliteStoreOptions);

let last: Promise<void> = Promise.resolve();
port.on('message', (call: ThreadCall) => {
  last = last.then(() => run(call));
});

async function run({ id, method, args }: ThreadCall): Promise<void> {
  let reply: ThreadReply;
  try {
    const storeMethod = store[method] as (...a: unknown[]) => Promise<unknown>;
    reply = { id, value: await storeMethod.apply(store, args) };
  } catch (err) {
    reply = { id, error: describe(err) };
  }
  port?.postMessage(reply);
}

function describe(err: unknown): ThreadError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const { code } = err as { code?: unknown };
  return { name: err.name, message: err.message, ...(code === undefined ? {} : { code }) };
}
