import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { testConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { Metrics } from '../../src/metrics/metrics';
import { Outbox } from '../../src/queue/outbox';
import { QueueSink } from '../../src/queue/producer';
import { shardOf } from '../../src/queue/shard';
import { PaccurateClient } from '../../src/upstream/paccurate-client';
import { openStatsQueues } from '../admin/stats-queues';
import { RedisProcess } from '../helpers/redis-server';
import { launchChromium } from './support/chromium';

/**
 * Bull Board in a real browser (Debian's chromium through playwright-core) against the real
 * app: pack traffic through POST / lands in the shard queues, and an operator logging in with
 * basic auth sees every queue with its count, on a page that renders under its CSP.
 */
const SHARDS = 4;
const TOKEN = 'browser-test-admin-token';
const ARTIFACTS = path.join(__dirname, '../artifacts');
const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');
/** keystem (the first 10 characters of the key, as the simulator answers) → requests sent */
const TRAFFIC: Record<string, number> = {
  'aqRAiz-8RA': 3,
  'WH-berlin1': 2,
  'WH-lyon-02': 1,
  'WH-osaka03': 2,
};

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );

describe('Bull Board in chromium', () => {
  let sim: Simulator;
  let redisProcess: RedisProcess;
  let stats: Awaited<ReturnType<typeof openStatsQueues>>;
  let outboxDir: string;
  let outbox: Outbox;
  let sink: QueueSink;
  let upstream: PaccurateClient;
  let server: Server;
  let baseUrl: string;
  let userDataDir: string;
  let browser: BrowserContext;
  // Code run inside the page is given as text: the project compiles without the DOM's types.
  /** CSP violations reported by the pages (collected by an init script, which CSP does not cover) */
  const violations = (page: Page): Promise<string[]> => page.evaluate('window.__csp');
  const consoleErrors: string[] = [];
  /** origins the browser may reach: only servers of this test (the board links Google Fonts) */
  const reachable: string[] = [];

  beforeAll(async () => {
    const logger = createLogger('silent');
    sim = await createSimulator();
    redisProcess = await RedisProcess.start();
    stats = await openStatsQueues(redisProcess.url, SHARDS);
    outboxDir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-browser-outbox-'));
    outbox = await Outbox.open({ dir: outboxDir, logger });
    const shardQueues = stats.queues.slice(0, SHARDS);
    sink = new QueueSink({
      redis: stats.connection,
      queues: shardQueues,
      outbox,
      enqueueTimeoutMs: 2000,
      logger,
    });
    upstream = new PaccurateClient({ url: sim.url, timeoutMs: 5000 });
    const app = createApp({
      config: testConfig({ ADMIN_TOKEN: TOKEN, PACCURATE_URL: sim.url }),
      logger,
      sink,
      upstream,
      metrics: new Metrics(),
      queues: stats.queues,
    });
    server = http.createServer(app);
    baseUrl = await listen(server);

    for (const [stem, n] of Object.entries(TRAFFIC)) {
      for (let i = 0; i < n; i++) {
        await request(app)
          .post('/')
          .set('content-type', 'application/json')
          .set('authorization', `apikey ${stem}-rest-of-key`)
          .send(fixture)
          .expect(200);
      }
    }

    userDataDir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-chromium-'));
    browser = await launchChromium(userDataDir, {
      httpCredentials: { username: 'operator', password: TOKEN },
      viewport: { width: 1280, height: 800 },
    });
    reachable.push(baseUrl);
    await browser.route(
      (url) => !reachable.some((origin) => url.href.startsWith(origin)),
      (route) => route.abort(),
    );
    await browser.addInitScript(`
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
    `);
    browser.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(userDataDir, { recursive: true, force: true });
    await new Promise((resolve) => server.close(resolve));
    await sink.close();
    await outbox.close();
    rmSync(outboxDir, { recursive: true, force: true });
    await upstream.close();
    await stats.close();
    await redisProcess.stop();
    await sim.close();
  });

  it('logs in with basic auth and shows every shard queue with its count after traffic', async () => {
    const page = await browser.newPage();
    const res = await page.goto(`${baseUrl}/admin/queues`);
    expect(res?.status()).toBe(200);

    const expected = new Map<string, number>(stats.queues.map((q) => [q.name, 0]));
    for (const [stem, n] of Object.entries(TRAFFIC)) {
      const queue = `stats-${shardOf(stem, SHARDS)}`;
      expected.set(queue, expected.get(queue)! + n);
    }
    expect([...expected.values()].filter((n) => n > 0).length).toBeGreaterThan(1);

    for (const [queue, count] of expected) {
      const card = page
        .getByRole('listitem')
        .filter({ has: page.getByRole('link', { name: queue, exact: true }) })
        .filter({ hasText: /\d+ Jobs?$/ });
      await card.getByText(/^\d+ Jobs?$/).waitFor();
      expect(await card.getByText(/^\d+ Jobs?$/).textContent()).toBe(
        `${count} ${count === 1 ? 'Job' : 'Jobs'}`,
      );
    }

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-queues.png'), fullPage: true });
    await page.close();
  });

  it('renders under its Content-Security-Policy without a single violation', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/admin/queues/queue/stats-0`);
    // the bundle ran and its API calls went through (script-src, connect-src) …
    await page.getByRole('link', { name: 'stats-dead', exact: true }).first().waitFor();
    // … and its stylesheet applied (style-src): the page is not the browser's unstyled default
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(background).not.toBe('rgba(0, 0, 0, 0)');
    expect(await violations(page)).toEqual([]);
    expect(consoleErrors.filter((e) => /content security policy/i.test(e))).toEqual([]);
    await page.close();
  });

  it('would notice a violation (the check above is live)', async () => {
    const strict = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': "style-src 'none'" });
      res.end('<!doctype html><style>p { color: red }</style><p>x</p>');
    });
    const url = await listen(strict);
    try {
      const page = await browser.newPage();
      reachable.push(url);
      await page.goto(url);
      await page.waitForFunction('window.__csp.length > 0');
      expect(await violations(page)).toEqual([expect.stringMatching(/^style-src/)]);
      await page.close();
    } finally {
      // the browser keeps idle keep-alive sockets open; drop them rather than wait
      strict.closeAllConnections();
      await new Promise((resolve) => strict.close(resolve));
    }
  });
});
