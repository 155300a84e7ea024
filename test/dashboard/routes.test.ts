import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import express from 'express';
import request from 'supertest';
import { dashboardRoutes } from '../../src/dashboard/dashboard-routes';
import { errorHandler } from '../../src/http/errors';
import { createLogger } from '../../src/log/logger';
import { buildDashboard } from './build';

/** The page's own budget: every script and stylesheet it loads, gzip-compressed. */
const BUDGET_BYTES = 200 * 1024;

const appOf = (assetsDir: string) =>
  express()
    .use(dashboardRoutes({ assetsDir, flushIntervalMs: 1000, currency: 'EUR' }))
    .use(errorHandler(createLogger('silent')));

describe('dashboard routes', () => {
  let built: string;
  beforeAll(() => {
    built = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-dashboard-'));
    buildDashboard(built);
  });
  afterAll(() => rmSync(built, { recursive: true, force: true }));

  it('serves one page for the overview and for a keystem, with its settings as data attributes', async () => {
    const app = appOf(built);
    for (const url of ['/dashboard', '/dashboard/keystem/WH-berlin1']) {
      const res = await request(app).get(url).expect(200);
      expect(res.type).toBe('text/html');
      expect(res.text).toContain('data-flush-interval-ms="1000"');
      expect(res.text).toContain('data-currency="EUR"');
      expect(res.text).not.toMatch(/<script>|https?:\/\//);
    }
  });

  it('serves the compiled script and uPlot from the proxy itself', async () => {
    const app = appOf(built);
    const main = await request(app).get('/dashboard/assets/main.js').expect(200);
    expect(main.type).toMatch(/javascript/);
    expect(main.text).toContain("from './api.js'");
    await request(app).get('/dashboard/assets/uPlot.iife.min.js').expect(200);
    await request(app).get('/dashboard/assets/dashboard.css').expect(200);
  });

  it('says the page is not built rather than serving a page that cannot run', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-dashboard-empty-'));
    try {
      const res = await request(appOf(empty)).get('/dashboard').expect(503);
      expect(res.body).toEqual({
        Message: expect.stringMatching(/npm run build/),
        Code: 'PACPROXY_ERR_DASHBOARD_NOT_BUILT',
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('keeps the scripts and styles the page loads under 200 KB compressed', () => {
    const files = readdirSync(built).filter((f) => /\.(js|css)$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['main.js', 'uPlot.iife.min.js', 'dashboard.css']));
    const compressed = files.reduce((sum, f) => sum + gzipSync(readFileSync(path.join(built, f))).length, 0);
    expect(compressed).toBeGreaterThan(10 * 1024);
    expect(compressed).toBeLessThan(BUDGET_BYTES);
  });
});
