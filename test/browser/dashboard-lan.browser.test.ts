import { mkdtempSync, rmSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { testConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { MemorySink } from '../../src/queue/sink';
import { SqliteStore } from '../../src/store/sqlite';
import { buildDashboard } from '../dashboard/build';
import { launchChromium } from './support/chromium';

/**
 * The dashboard opened as a colleague on the same network would: plain HTTP at this machine's
 * own non-loopback address (not a "potentially trustworthy" origin like 127.0.0.1). Its assets
 * must load over that same HTTP, and the browser must have nothing to complain about.
 */
const lanAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

(lanAddress ? describe : describe.skip)('dashboard over plain HTTP at a LAN address', () => {
  let dir: string;
  let store: SqliteStore;
  let server: Server;
  let browser: BrowserContext;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-dashboard-lan-'));
    buildDashboard(path.join(dir, 'assets'));
    store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
    const app = createApp({
      config: testConfig(),
      logger: createLogger('silent'),
      sink: new MemorySink(),
      store,
      dashboardAssetsDir: path.join(dir, 'assets'),
    });
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, lanAddress, resolve));
    browser = await launchChromium(path.join(dir, 'chromium'));
  });

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads its script and styles over HTTP and runs without a console error', async () => {
    const origin = `http://${lanAddress}:${(server.address() as AddressInfo).port}`;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const assets: string[] = [];
    page.on('requestfinished', (r) => {
      if (r.url().includes('/dashboard/assets/')) assets.push(r.url());
    });
    await page.goto(`${origin}/dashboard`);
    // the script ran: it fetched the API and said when (the history answer itself may be an error)
    await page
      .locator('#status')
      .filter({ hasText: /refreshing every 10 s/ })
      .waitFor({ timeout: 30_000 });
    expect(assets).toEqual(
      expect.arrayContaining(
        ['dashboard.css', 'main.js', 'uPlot.iife.min.js', 'uPlot.min.css'].map(
          (f) => `${origin}/dashboard/assets/${f}`,
        ),
      ),
    );
    expect(assets.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
    expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
    await page.close();
  });
});
