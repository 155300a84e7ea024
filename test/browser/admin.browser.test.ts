import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type Server } from 'node:http';
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
import { SqliteStore } from '../../src/store/sqlite';
import { PaccurateClient } from '../../src/upstream/paccurate-client';
import { ShardWorker } from '../../workers/worker';
import { waitFor } from '../helpers/wait';
import { openStatsQueues } from '../admin/stats-queues';
import { listenLocal } from '../helpers/net';
import { RedisProcess } from '../helpers/redis-server';
import { launchChromium, watchBrowser } from './support/chromium';

/**
 * Bull Board in a real browser (Debian's chromium through playwright-core) against the real
 * app: pack traffic through POST / lands in the shard queues, a shard worker (in process, on a
 * real SQLite file) completes it, and an operator logging in with basic auth sees every queue
 * with its count, shards in numeric order, the last completed jobs, on a page that renders
 * under its CSP and asks nothing of any host but the proxy.
 */
const SHARDS = 12;
const ARTIFACTS = path.join(__dirname, '../artifacts');
/** docs/bull-board.png, which the README shows, is rewritten only when asked: UPDATE_SCREENSHOTS=1 */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(__dirname, '../../docs') : ARTIFACTS;
const TOKEN = 'browser-test-admin-token';
const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');
/** keystem (the first 10 characters of the key, as the simulator answers) → requests sent */
const TRAFFIC: Record<string, number> = {
  'aqRAiz-8RA': 3,
  'WH-berlin1': 2,
  'WH-lyon-02': 1,
  'WH-osaka03': 2,
};

/** The board's name for a queue: shards zero-padded, so that its alphabetical sort is numeric. */
const displayName = (queue: string) =>
  queue === 'stats-dead'
    ? 'dead letters · stats-dead'
    : `shard ${queue.slice('stats-'.length).padStart(String(SHARDS - 1).length, '0')} · ${queue}`;

describe('Bull Board in chromium', () => {
  let sim: Simulator;
  let redisProcess: RedisProcess;
  let stats: Awaited<ReturnType<typeof openStatsQueues>>;
  let outboxDir: string;
  let outbox: Outbox;
  let sink: QueueSink;
  let store: SqliteStore;
  let worker: ShardWorker;
  let upstream: PaccurateClient;
  let server: Server;
  let baseUrl: string;
  let userDataDir: string;
  let browser: BrowserContext;
  // Code run inside the page is given as text: the project compiles without the DOM's types.
  /** CSP violations reported by the pages (collected by an init script, which CSP does not cover) */
  const violations = (page: Page): Promise<string[]> => page.evaluate('window.__csp');
  const consoleErrors: string[] = [];
  /** origins the browser may reach: only servers of this test */
  const reachable: string[] = [];
  /** requests the pages made to any other origin (aborted) */
  const outside: string[] = [];

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
    const config = testConfig({ ADMIN_TOKEN: TOKEN, PACCURATE_URL: sim.url, SHARDS, FLUSH_INTERVAL_MS: 100 });
    store = new SqliteStore({ path: path.join(outboxDir, 'stats.db') });
    await store.init();
    worker = new ShardWorker({ config, redis: redisProcess.url, store, logger, metrics: new Metrics() });
    worker.start();
    const app = createApp({
      config,
      logger,
      sink,
      upstream,
      metrics: new Metrics(),
      queues: stats.queues,
    });
    server = http.createServer(app);
    baseUrl = await listenLocal(server);

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

    // the worker completes every job; each shard keeps them (the last 100) for the board
    const sent = Object.values(TRAFFIC).reduce((a, b) => a + b, 0);
    await waitFor(
      async () => {
        const counts = await Promise.all(
          shardQueues.map((q) => q.getJobCounts('completed', 'wait', 'active')),
        );
        return counts.reduce((n, c) => n + (c.completed ?? 0), 0) === sent;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'every job completed by the worker' },
    );

    userDataDir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-chromium-'));
    browser = await launchChromium(userDataDir, {
      httpCredentials: { username: 'operator', password: TOKEN },
      viewport: { width: 1280, height: 800 },
    });
    reachable.push(baseUrl);
    await watchBrowser(browser, (url) => reachable.includes(url.origin), { outside, consoleErrors });
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(userDataDir, { recursive: true, force: true });
    await new Promise((resolve) => server.close(resolve));
    await sink.close();
    await worker.close();
    await store.close();
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
        .filter({ has: page.getByRole('link', { name: displayName(queue), exact: true }) })
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

  it('lists the shards in numeric order, in the menu and on the overview', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/admin/queues`);
    await page
      .getByRole('link', { name: displayName(`stats-${SHARDS - 1}`), exact: true })
      .first()
      .waitFor();
    const links = await page.getByRole('link').allTextContents();
    const shardsIn = (pattern: RegExp) =>
      links
        .map((text) => pattern.exec(text)?.[1])
        .filter((n) => n !== undefined)
        .map(Number);
    const inOrder = Array.from({ length: SHARDS }, (_, i) => i);
    // the menu names the queues; the overview's cards carry the board's display names
    expect(shardsIn(/^stats-(\d+)$/)).toEqual(inOrder);
    expect(shardsIn(/^shard \d+ · stats-(\d+)$/)).toEqual(inOrder);
    // the dead-letter queue says why nothing consumes it
    await page.goto(`${baseUrl}/admin/queues/queue/stats-dead`);
    await page.getByText(/Nothing consumes this queue, by design/).waitFor();
    await page.close();
  });

  it("shows a shard's last completed jobs, and writes the screenshot the README shows", async () => {
    const [stem, n] = Object.entries(TRAFFIC)[0]!;
    const queue = `stats-${shardOf(stem, SHARDS)}`;
    const completed = await stats.queues[shardOf(stem, SHARDS)]!.getJobs(['completed']);
    expect(completed.length).toBeGreaterThanOrEqual(n);
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/admin/queues/queue/${queue}?status=completed`);
    for (const job of completed) await page.getByText(`#${job.id!}`, { exact: true }).waitFor();
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'bull-board.png') });
    await page.close();
  });

  it('works with the credentials in the URL (http://user:token@host/admin/queues)', async () => {
    // a browser without stored credentials: only those of the URL
    const plainDir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-chromium-'));
    const context = await launchChromium(plainDir);
    try {
      await context.route(
        (url) => url.origin !== baseUrl,
        (route) => {
          outside.push(route.request().url());
          return route.abort();
        },
      );
      const page = await context.newPage();
      await page.goto(`${baseUrl.replace('http://', `http://operator:${TOKEN}@`)}/admin/queues`);
      // the board rendered, translated, with the counts its API answered
      await page.getByRole('link', { name: 'dead letters · stats-dead', exact: true }).waitFor();
      await page
        .getByText(/^\d+ Jobs?$/)
        .first()
        .waitFor();
      expect(await page.evaluate('document.URL')).toBe(`${baseUrl}/admin/queues`);
    } finally {
      await context.close();
      rmSync(plainDir, { recursive: true, force: true });
    }
  });

  it('asked nothing of any host but the proxy, on every page above', () => {
    expect(outside).toEqual([]);
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
    const url = await listenLocal(strict);
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
