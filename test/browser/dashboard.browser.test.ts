import { mkdirSync, readFileSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import { type BrowserContext, type Page, type Response } from 'playwright-core';
import request from 'supertest';
import { formatCount } from '../../src/dashboard/web/format';
import type { History, KeystemList } from '../../src/dashboard/web/types';
import type { PackEvent } from '../../src/stats/types';
import type { SqliteStore } from '../../src/store/sqlite';
import { packEvent } from '../helpers/stats-events';
import { waitFor } from '../helpers/wait';
import { launchChromium } from './support/chromium';
import { DashboardServer } from './support/dashboard-server';

/**
 * The dashboard in Debian's chromium (playwright-core) against the real app over a real SQLite
 * store holding known traffic: the numbers it shows are the API's, the range switch redraws the
 * charts, nothing is fetched from anywhere but the proxy, and axe finds nothing serious.
 */
const ARTIFACTS = path.join(__dirname, '../artifacts');
const ZONE = 'America/New_York';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const KEYSTEMS = ['WH-berlin1', 'WH-lyon-02', 'aqRAiz-8RA', 'WH-osaka03'];
/** how long ago each keystem's requests were accepted: today, this week, this month, this year */
const AGES = [0.2 * HOUR, 2 * HOUR, 9.5 * HOUR, 23 * HOUR, 3 * DAY, 5 * DAY, 20 * DAY, 200 * DAY];

/** Known traffic: every kind of answer, spread over the last year. */
function traffic(now: number): PackEvent[] {
  const events: PackEvent[] = [];
  KEYSTEMS.forEach((keystem, k) => {
    AGES.forEach((age, a) => {
      for (let i = 0; i < k + 2 + a; i++) {
        const at = now - age - i * 60_000;
        const kind = (i + k + a) % 10;
        const refId = `box-${(i + k) % 3}`;
        const boxes = 1 + (i % 2);
        const fill = 0.4 + ((i + k) % 5) / 10;
        const price = 150 + 40 * ((i + k) % 3);
        const failed = kind >= 7;
        events.push(
          packEvent(keystem, at, {
            timeStamp: new Date(at).toISOString(),
            latency: (20 + ((i * 7 + k) % 40)) * 1e6,
            volumeUtilization: fill,
            boxTypes: failed ? {} : { [refId]: boxes },
            boxes: failed ? 0 : boxes,
            totalCost: failed ? 0 : boxes * price,
            leftovers: failed ? 0 : i % 4 === 1 ? 1 + (k % 2) : 0,
            boxTypeStats: failed
              ? {}
              : {
                  [refId]: {
                    volumeUtilizationSum: fill * boxes,
                    volumeUtilizationCount: boxes,
                    totalCost: boxes * price,
                  },
                },
            ...(kind === 7 ? { statusCode: '422', errorResponse: true } : {}),
            ...(kind === 8 ? { statusCode: '500', errorResponse: true } : {}),
            ...(kind === 9 ? { statusCode: '0', requestError: true } : {}),
            ...(kind === 3 ? { cacheHit: true, latency: 0 } : {}),
          }),
        );
      }
    });
  });
  return events;
}

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );

const sum = (h: History) => h.points.reduce((n, p) => n + p.totalRequests, 0);
const en = (n: number) => formatCount(n, 'en-US');

describe('dashboard in chromium', () => {
  let dashboard: DashboardServer;
  let store: SqliteStore;
  let events: PackEvent[];
  let app: Express;
  let baseUrl: string;
  let browser: BrowserContext;
  const consoleErrors: string[] = [];
  const requested: string[] = [];
  /** the servers of this test: the only origins the browser may reach */
  const origins: string[] = [];

  /** The page's next answer from a history route, with what it asked. */
  const nextHistory = async (page: Page, match: RegExp) => {
    const res: Response = await page.waitForResponse((r) => match.test(new URL(r.url()).pathname), {
      timeout: 30_000,
    });
    const url = new URL(res.url());
    return { history: (await res.json()) as History, from: Date.parse(url.searchParams.get('from')!), url };
  };
  const knownCount = (from: number, keystem?: string) =>
    events.filter((e) => e.at >= from && (!keystem || e.keystem === keystem)).length;
  const textOf = (page: Page, selector: string) => page.locator(selector).first().textContent();
  const waitForText = async (page: Page, selector: string, expected: string) => {
    await waitFor(async () => (await textOf(page, selector)) === expected, {
      timeoutMs: 30_000,
      what: `${selector} to read ${expected} (reads ${await textOf(page, selector)})`,
    });
  };
  const headline = (metric: string) => `[data-metric="${metric}"] dd`;
  const canvas = (page: Page, chart: string): Promise<string> =>
    page.evaluate(`document.querySelector('#chart-${chart} canvas').toDataURL()`);
  const axe = async (page: Page) => {
    await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
    const result = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as {
      violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
    };
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  };

  beforeAll(async () => {
    events = traffic(Date.now());
    dashboard = await DashboardServer.start({ config: { DASHBOARD_CURRENCY: 'EUR' } });
    await dashboard.store.applyBatch(events);
    ({ store, app, url: baseUrl } = dashboard);

    browser = await launchChromium(path.join(dashboard.dir, 'chromium'), {
      viewport: { width: 1280, height: 800 },
      locale: 'en-US',
      // not UTC, with daylight saving: the API cuts local days and months
      timezoneId: ZONE,
    });
    browser.on('request', (r) => requested.push(r.url()));
    origins.push(baseUrl);
    await browser.route(
      (url) => !origins.some((origin) => url.href.startsWith(`${origin}/`)),
      (route) => route.abort(),
    );
    browser.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
  });

  it('overview: headline and keystem table show the API’s totals; the range switch redraws the charts', async () => {
    const page = await browser.newPage();
    const first = nextHistory(page, /^\/api\/keydata\/all\/history$/);
    await page.goto(`${baseUrl}/dashboard?range=7d`);
    const week = await first;
    expect(week.url.searchParams.get('tz')).toBe(ZONE);
    expect(week.history.tz).toBe(ZONE);
    expect(week.history.interval).toBe('hour');
    expect(sum(week.history)).toBe(knownCount(week.from));
    await waitForText(page, headline('Requests'), en(sum(week.history)));

    // the table: every keystem, its requests as the keystem list answers them
    const list = (await request(app).get('/api/keydata?limit=1000').expect(200)).body as KeystemList;
    for (const item of list.items!) {
      const row = page
        .locator('#keystem-rows tr')
        .filter({ has: page.getByRole('link', { name: item.usedKeystem }) });
      await row.waitFor();
      expect(await row.locator('td').first().textContent()).toBe(en(item.totalRequests));
    }
    expect(list.items!.map((i) => i.usedKeystem).sort()).toEqual([...KEYSTEMS].sort());

    await page.locator('#chart-requests canvas').waitFor();
    const weekChart = await canvas(page, 'requests');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-1280x800.png'), fullPage: true });

    // switch to 12 months with the keyboard: day buckets, more traffic, another picture
    const next = nextHistory(page, /^\/api\/keydata\/all\/history$/);
    await page.focus('#range');
    await page.selectOption('#range', '12mo');
    const year = await next;
    expect(year.history.interval).toBe('day');
    expect(sum(year.history)).toBe(knownCount(year.from));
    expect(sum(year.history)).toBeGreaterThan(sum(week.history));
    await waitForText(page, headline('Requests'), en(sum(year.history)));
    await waitFor(async () => (await canvas(page, 'requests')) !== weekChart, {
      what: 'the chart to change',
    });
    expect(new URL(page.url()).searchParams.get('range')).toBe('12mo');

    expect(await axe(page)).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
    expect(width).toBeLessThanOrEqual(390);
    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-390x844.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('keystem view: found by filtering, opened from the keyboard; its totals, status codes and box types', async () => {
    const keystem = 'WH-berlin1';
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/dashboard?range=30d`);
    await page.locator('#keystem-rows tr').nth(1).waitFor();
    await page.fill('#filter', 'BERLIN');
    await waitFor(async () => (await page.locator('#keystem-rows tr').count()) === 1, { what: 'one row' });

    const view = nextHistory(page, /^\/api\/keydata\/[^/]+\/history$/);
    await page.getByRole('link', { name: keystem }).focus();
    await page.keyboard.press('Enter');
    const { history, from, url } = await view;
    expect(url.pathname).toBe(`/api/keydata/${keystem}/history`);
    expect(new URL(page.url()).pathname).toBe(`/dashboard/keystem/${keystem}`);
    expect(sum(history)).toBe(knownCount(from, keystem));
    await waitForText(page, headline('Requests'), en(sum(history)));

    const codes: Record<string, number> = {};
    for (const p of history.points)
      for (const [code, n] of Object.entries(p.statusCodes)) codes[code] = (codes[code] ?? 0) + n;
    const shown = await page
      .locator('#status-codes tr')
      .evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    expect(shown).toEqual(
      Object.entries(codes)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([code, n]) => [code === '0' ? '0 (no answer)' : code, en(n)]),
    );
    const boxes = new Set(history.points.flatMap((p) => Object.keys(p.boxTypeStats)));
    expect(await page.locator('#box-types tr').count()).toBe(boxes.size);

    const csv = new URL((await page.locator('#csv').getAttribute('href'))!, baseUrl);
    expect(csv.pathname).toBe(`/api/keydata/${keystem}/history`);
    expect(csv.searchParams.get('format')).toBe('csv');
    expect(Date.parse(csv.searchParams.get('from')!)).toBe(from);
    const file = await request(app).get(`${csv.pathname}${csv.search}`).expect(200);
    expect(file.type).toBe('text/csv');
    expect(file.text.trim().split('\n')).toHaveLength(history.points.length + 1);

    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-keystem-1280x800.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('refreshes by itself until paused', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/dashboard/keystem/WH-osaka03?range=24h&refresh=1`);
    const { history } = await nextHistory(page, /history$/);
    await waitForText(page, headline('Requests'), en(sum(history)));

    const more = [packEvent('WH-osaka03', Date.now() - 1000), packEvent('WH-osaka03', Date.now() - 500)];
    events.push(...more);
    await store.applyBatch(more);
    await waitForText(page, headline('Requests'), en(sum(history) + 2));

    await page.getByRole('button', { name: 'Pause refresh' }).click();
    expect(await page.getByRole('button', { name: 'Resume refresh' }).getAttribute('aria-pressed')).toBe(
      'true',
    );
    expect(await textOf(page, '#status')).toMatch(/refresh paused/);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('sorts the table from the keyboard and shows a custom range of whole local days', async () => {
    const localTime = (t: number) =>
      new Intl.DateTimeFormat('en-US', {
        timeZone: ZONE,
        hourCycle: 'h23',
        hour: '2-digit',
        minute: '2-digit',
      }).format(t);
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/dashboard?range=30d`);
    await page.locator('#keystem-rows tr').nth(3).waitFor();
    const sortByName = page.getByRole('button', { name: 'Keystem' });
    await sortByName.focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('th[data-column="usedKeystem"]').getAttribute('aria-sort')).toBe('ascending');
    const names = () => page.locator('#keystem-rows th').allTextContents();
    expect(await names()).toEqual([...KEYSTEMS].sort((a, b) => a.localeCompare(b)));
    await page.keyboard.press('Enter');
    expect(await names()).toEqual([...KEYSTEMS].sort((a, b) => b.localeCompare(a)));

    await page.selectOption('#range', 'custom');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(Date.now());
    const weekAgo = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(
      Date.now() - 6 * DAY,
    );
    await page.fill('#from', weekAgo);
    await page.fill('#to', today);
    const custom = nextHistory(page, /^\/api\/keydata\/all\/history$/);
    await page.getByRole('button', { name: 'Show' }).press('Enter');
    const { history, from } = await custom;
    expect(localTime(from)).toBe('00:00');
    expect(new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(from)).toBe(weekAgo);
    expect(sum(history)).toBe(knownCount(from));
    await waitForText(page, headline('Requests'), en(sum(history)));
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('in a zone not whole hours from UTC (India), asks in UTC and says so', async () => {
    const india = await launchChromium(path.join(dashboard.dir, 'chromium-india'), {
      locale: 'en-US',
      timezoneId: 'Asia/Kolkata',
    });
    await india.route(
      (url) => !url.href.startsWith(`${baseUrl}/`),
      (route) => route.abort(),
    );
    try {
      const page = await india.newPage();
      const answer = nextHistory(page, /^\/api\/keydata\/all\/history$/);
      await page.goto(`${baseUrl}/dashboard?range=30d`);
      const { history, url, from } = await answer;
      expect(url.searchParams.get('tz')).toBe('UTC');
      expect(sum(history)).toBe(knownCount(from));
      await waitForText(page, headline('Requests'), en(sum(history)));
      expect(await textOf(page, '#zone')).toMatch(/^Times in UTC: .*Asia\/(Kolkata|Calcutta)/);
      expect(await page.getByRole('alert').isHidden()).toBe(true);
    } finally {
      await india.close();
    }
  });

  it('asks for a read token when the API refuses, and sends it as a Bearer header', async () => {
    // the read guard is another branch's: a Bearer check stands in front of /api here (no
    // WWW-Authenticate, which would make the browser prompt for a password instead)
    const token = 'dashboard-read-token';
    const readGuard: RequestHandler = (req, res, next) => {
      if (req.headers.authorization === `Bearer ${token}`) return next();
      res.status(401).json({ Message: 'read token required' });
    };
    const guarded = http.createServer(express().use('/api', readGuard).use(app));
    const guardedUrl = await listen(guarded);
    origins.push(guardedUrl);
    const page = await browser.newPage();
    try {
      await page.goto(`${guardedUrl}/dashboard?range=7d`);
      await page
        .getByRole('alert')
        .filter({ hasText: /refused access \(401\)/ })
        .waitFor();
      await page.getByLabel('Read token').fill(token);
      const sent = page.waitForRequest((r) => r.url().includes('/api/keydata/all/history'));
      await page.getByRole('button', { name: 'Use token' }).press('Enter');
      expect((await sent).headers().authorization).toBe(`Bearer ${token}`);
      const { history } = await nextHistory(page, /^\/api\/keydata\/all\/history$/);
      await waitForText(page, headline('Requests'), en(sum(history)));
      expect(await page.getByRole('alert').isHidden()).toBe(true);
    } finally {
      await page.close();
      guarded.closeAllConnections();
      await new Promise((resolve) => guarded.close(resolve));
    }
  });

  it('says when a keystem has no data yet, and when the API fails and the data grows old', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/dashboard/keystem/nobody-here?refresh=1`);
    await page.getByRole('alert').filter({ hasText: 'No data yet for keystem nobody-here' }).waitFor();
    await page.goto(`${baseUrl}/dashboard?from=2020-01-01&to=2020-01-02`);
    await page.getByText('No traffic recorded in this range yet.').waitFor();
    expect(await textOf(page, headline('Avg latency'))).toBe('–');

    await page.goto(`${baseUrl}/dashboard?range=24h&refresh=1`);
    await page.locator('#keystem-rows tr').first().waitFor();
    await store.close(); // the store goes away: the API answers errors from now on
    await page
      .getByRole('alert')
      .filter({ hasText: /The statistics API answered 5\d\d/ })
      .waitFor({ timeout: 30_000 });
    await page
      .locator('#stale')
      .filter({ hasText: /older than the pipeline's freshness/ })
      .waitFor({ timeout: 30_000 });
    await page.close();
  });

  it('fetched nothing from anywhere but the proxy', () => {
    expect(requested.length).toBeGreaterThan(10);
    expect(requested.filter((u) => !origins.some((origin) => u.startsWith(`${origin}/`)))).toEqual([]);
    expect(origins.every((origin) => origin.startsWith('http://127.0.0.1:'))).toBe(true);
  });
});
