import { mkdtempSync, rmSync } from 'node:fs';
import http, { type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { testConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { API_ROUTES } from '../../src/openapi/routes';
import { MemorySink } from '../../src/queue/sink';
import { listenLocal } from '../helpers/net';
import { launchChromium, watchBrowser } from './support/chromium';

/**
 * GET /docs in a real browser with every other origin cut off (offline): Swagger UI, served by
 * the proxy, renders every route of the document under the page's CSP, without errors.
 */

describe('/docs in chromium, offline', () => {
  let server: Server;
  let baseUrl: string;
  let userDataDir: string;
  let browser: BrowserContext;
  const blocked: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const app = createApp({ config: testConfig(), logger: createLogger('silent'), sink: new MemorySink() });
    server = http.createServer(app);
    baseUrl = await listenLocal(server);
    userDataDir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-chromium-docs-'));
    browser = await launchChromium(userDataDir, { viewport: { width: 1280, height: 800 } });
    await watchBrowser(browser, (url) => url.href.startsWith(baseUrl), { outside: blocked, consoleErrors });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(userDataDir, { recursive: true, force: true });
    await new Promise((resolve) => server.close(resolve));
  });

  it('renders every documented route from /openapi.json, nothing fetched elsewhere, no CSP violation', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/docs`);
    await page.waitForSelector('.opblock', { timeout: 30_000 });
    const operations = await page.locator('.opblock').count();
    expect(operations).toBe(API_ROUTES.length);
    const paths: string[] = await page.locator('.opblock-summary-path').allInnerTexts();
    for (const route of API_ROUTES) expect(paths.map((p) => p.replace(/\u200b/g, ''))).toContain(route.path);
    expect(await page.locator('.info .title').innerText()).toMatch(/^Pacproxy/);
    // Swagger UI shows what it cannot read of the document in an errors panel
    expect(await page.locator('.errors-wrapper').allInnerTexts()).toEqual([]);
    expect(await page.evaluate('window.__csp')).toEqual([]);
    expect(blocked).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
