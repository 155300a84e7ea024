import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { redisServerArgs } from '../../../src/local-redis/local-redis';
import { ChildService } from './child';
import { freePort, portOpen } from './net';

/**
 * A private redis-server for one bench run: free port, temp folder, configured as production
 * Redis must be (AOF everysec, noeviction). `stop()` ends it and deletes its folder.
 */
export class PrivateRedis {
  private constructor(
    readonly url: string,
    readonly service: ChildService,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateRedis> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-bench-redis-'));
    const port = await freePort();
    const service = await ChildService.start({
      name: 'redis-server',
      command: 'redis-server',
      args: redisServerArgs(port, dir),
      ready: () => portOpen(port),
    });
    return new PrivateRedis(`redis://127.0.0.1:${port}`, service, dir);
  }

  async stop(): Promise<void> {
    await this.service.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
