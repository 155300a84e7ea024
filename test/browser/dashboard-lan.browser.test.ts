import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { launchChromium } from './support/chromium';
import { DashboardServer } from './support/dashboard-server';

/**
 * The dashboard opened as a colleague on the same network would: plain HTTP at this machine's
 * own non-loopback address (not a "potentially trustworthy" origin like 127.0.0.1). Its assets
 * must load over that same HTTP, and the browser must have nothing to complain about.
 */
const lanAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

(lanAddress ? describe : describe.skip)('dashboard over plain HTTP at a LAN address', () => {
  let dashboard: DashboardServer;
  let browser: BrowserContext;

  beforeAll(async () => {
    dashboard = await DashboardServer.start({ host: lanAddress });
    browser = await launchChromium(path.join(dashboard.dir, 'chromium'));
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
  });

  it('loads its script and styles over HTTP and runs without a console error', async () => {
    const origin = dashboard.url;
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
