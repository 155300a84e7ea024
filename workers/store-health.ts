/** What a worker's GET /readyz answers. */
export interface Readiness {
  ready: boolean;
  /** why not, when not ready */
  reason?: string;
}

/**
 * Whether this worker's store commits: a shard whose last batch failed to commit (an error, or
 * past the store write deadline) makes the worker unready until one of its batches commits.
 * Shards that stop (released, lost) are forgotten.
 */
export class StoreHealth {
  private readonly failing = new Map<number, string>();

  committed(shard: number): void {
    this.failing.delete(shard);
  }

  failed(shard: number, err: unknown): void {
    this.failing.set(shard, err instanceof Error ? err.message : String(err));
  }

  forget(shard: number): void {
    this.failing.delete(shard);
  }

  readiness(): Readiness {
    if (this.failing.size === 0) return { ready: true };
    const [shard, why] = this.failing.entries().next().value as [number, string];
    return {
      ready: false,
      reason: `the store cannot commit (${this.failing.size} shard(s) failing; shard ${shard}: ${why})`,
    };
  }
}
