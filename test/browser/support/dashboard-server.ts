import { mkdtempSync, rmSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { testConfig, type Config } from '../../../src/config';
import { createApp } from '../../../src/http/app';
import { createLogger } from '../../../src/log/logger';
import { MemorySink } from '../../../src/queue/sink';
import { SqliteStore } from '../../../src/store/sqlite';
import { buildDashboard } from '../../dashboard/build';

export interface DashboardServerOptions {
  /** address to listen on (default 127.0.0.1) */
  host?: string;
  config?: Partial<Record<keyof Config, string | number>>;
}

/**
 * The real app serving a freshly built dashboard over a SQLite store in a temp folder, listening
 * on a free port. The folder also suits a browser profile (`dir`); `close` removes it.
 */
export class DashboardServer {
  private constructor(
    readonly dir: string,
    readonly store: SqliteStore,
    readonly app: Express,
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start({ host = '127.0.0.1', config = {} }: DashboardServerOptions = {}) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-dashboard-browser-'));
    buildDashboard(path.join(dir, 'assets'));
    const store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
    const app = createApp({
      config: testConfig(config),
      logger: createLogger('silent'),
      sink: new MemorySink(),
      store,
      dashboardAssetsDir: path.join(dir, 'assets'),
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const url = `http://${host}:${(server.address() as AddressInfo).port}`;
    return new DashboardServer(dir, store, app, server, url);
  }

  async close(): Promise<void> {
    // the browser keeps idle keep-alive sockets open; drop them rather than wait
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
