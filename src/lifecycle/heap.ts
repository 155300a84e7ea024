import v8 from 'node:v8';

/**
 * Lets the V8 heap grow to at most 1.5× what survived the last full collection before it
 * collects again. V8's default allows up to 4× when collections are cheap: the worker's live
 * heap of ~25 MB then swings to ~85 MB between collections and its RSS saw-tooths by a third.
 * A fixed 1.5× keeps RSS predictable (container limits, the soak bench) for a few more
 * incremental collections. The flag is read at every collection, so setting it at start works.
 */
export function boundHeapGrowth(): void {
  v8.setFlagsFromString('--heap-growing-percent=50');
}

/**
 * Node options every process that runs shard workers starts with (`npm start`, `npm run
 * start:worker`, the compose worker, the bench), kept in step by test/ops/node-options.test.ts.
 * V8 otherwise shrinks the young generation now and then and grows it back under load: in the
 * soak bench the worker's V8 heap went from 63 to 29 MB and back within a minute, its RSS by
 * ~20%, with its live heap unchanged. A minimum semi-space as large as Node 20's default maximum
 * (16 MB) keeps it at one size. V8's memory reducer, run when the allocation rate drops, then
 * still gave old-space pages back and the worker's RSS dipped by ~13% for a while (twice in a
 * 10-minute soak); without it the worker's RSS stayed within −6% of its median. A worker keeps
 * its heap's size when idle instead (bounded by boundHeapGrowth). Both are read when the heap is
 * set up, so they must be on the command line.
 */
export const WORKER_NODE_OPTIONS: readonly string[] = ['--min-semi-space-size=16', '--no-memory-reducer'];
