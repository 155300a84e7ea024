import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createSimulator, DEFAULT_BEHAVIOR, type Simulator } from '../../ops/paccurate-sim/simulator';
import { testConfig, type Config } from '../../src/config';
import { createApp, requestListener } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { Metrics } from '../../src/metrics/metrics';
import { MemorySink, type StatsSink } from '../../src/queue/sink';
import { startProxy, type ProxyRole } from '../../src/roles/proxy-role';
import { SqliteStore } from '../../src/store/sqlite';
import { PaccurateClient } from '../../src/upstream/paccurate-client';
import { ShardWorker } from '../../workers/worker';
import { listenLocal } from '../helpers/net';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { AnswerChecker, type LiveAnswer, type OpenApiDocument } from './answer-checker';

/**
 * A new user's check: the proxy role as `npm start` runs it (real Redis on a free port, the
 * simulator as Paccurate, a SQLite file, a shard worker), its document fetched from
 * GET /openapi.json, and every route driven through every status the document lists. Each
 * live answer — status, content type, body, the documented headers (X-Pacproxy-Stats parsed) —
 * is validated against the document with ajv: an undocumented field or status fails.
 */

const TOKEN = 'e2e-admin-token-0123';
const KEY = 'apikey 6UZlPsHAqpMyKey';
const KEYSTEM = '6UZlPsHAqp';
const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');
const logger = createLogger('silent');

interface Call {
  body?: string;
  contentType?: string;
  authorization?: string;
  accept?: string;
}

async function call(base: string, method: string, url: string, opts: Call = {}): Promise<LiveAnswer> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  if (opts.accept !== undefined) headers.accept = opts.accept;
  const res = await fetch(base + url, { method, headers, body: opts.body });
  return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() };
}

describe('live answers against GET /openapi.json', () => {
  let redis: RedisProcess;
  let sim: Simulator;
  let dir: string;
  let store: SqliteStore;
  let proxy: ProxyRole;
  let worker: ShardWorker;
  let base: string;
  let checker: AnswerChecker;
  let config: Config;

  /** Sends a request and expects its answer to have `status` and to match the document. */
  const expectAnswer = async (
    status: number,
    method: string,
    route: string,
    url: string,
    opts: Call = {},
    at = base,
  ): Promise<LiveAnswer> => {
    const answer = await call(at, method, url, opts);
    expect({ status: answer.status, problems: checker.check(method, route, answer) }).toEqual({
      status,
      problems: [],
    });
    return answer;
  };
  const pack = (status: number, route: '/' | '/pack', opts: Call = {}) =>
    expectAnswer(status, 'POST', route, route, { body: fixture, authorization: KEY, ...opts });

  beforeAll(async () => {
    redis = await RedisProcess.start();
    sim = await createSimulator();
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-live-answers-'));
    config = testConfig({
      PORT: 0,
      HOST: '127.0.0.1',
      PACCURATE_URL: sim.url,
      // long enough for a loaded machine's simulator; the 504 case waits this long, twice
      PACCURATE_TIMEOUT_MS: 3000,
      BODY_LIMIT: '16kb',
      ADMIN_TOKEN: TOKEN,
      OUTBOX_DIR: path.join(dir, 'outbox'),
      SHARDS: 2,
      FLUSH_INTERVAL_MS: 50,
      CACHE_TTL_SECONDS: 0,
    });
    store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
    proxy = await startProxy({ config, logger, metrics: new Metrics(), redis: redis.url, store });
    worker = new ShardWorker({ config, logger, redis: redis.url, store });
    worker.start();
    base = `http://127.0.0.1:${proxy.port}`;
    const served = await call(base, 'GET', '/openapi.json');
    checker = new AnswerChecker(JSON.parse(served.text) as OpenApiDocument);
    expect(checker.check('GET', '/openapi.json', served)).toEqual([]);
  });
  afterAll(async () => {
    await proxy?.close();
    await worker?.close();
    await store?.close();
    await sim?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    Object.assign(sim.behavior, DEFAULT_BEHAVIOR);
  });

  it.each(['/', '/pack'] as const)('POST %s: a packing, and every refusal the proxy makes', async (route) => {
    await pack(200, route);
    await pack(400, route, { body: '{"itemSets": [' });
    await pack(413, route, { body: JSON.stringify({ itemSets: [], pad: 'x'.repeat(20_000) }) });
    await pack(415, route, { contentType: 'multipart/form-data; boundary=x' });
    await pack(422, route, { body: '{"boxTypes": []}' });
  });

  it.each(['/', '/pack'] as const)("POST %s: Paccurate's failures, passed on or mapped", async (route) => {
    for (const status of [400, 409, 500, 503]) {
      sim.behavior.status = status;
      await pack(status, route);
    }
    Object.assign(sim.behavior, DEFAULT_BEHAVIOR, { html: true });
    await pack(502, route);
    Object.assign(sim.behavior, DEFAULT_BEHAVIOR, { hang: true });
    await pack(504, route);
  });

  it('POST /pack: the statistics header is the request statistics', async () => {
    const answer = await pack(200, '/pack');
    expect(JSON.parse(answer.headers['x-pacproxy-stats'] ?? '')).toMatchObject({
      usedKeystem: KEYSTEM,
      statusCode: '200',
    });
  });

  it('GET /api/keydata…: the statistics, a page of keystems, and bad or unknown keystems', async () => {
    await waitFor(async () => (await call(base, 'GET', `/api/keydata/${KEYSTEM}`)).status === 200, {
      timeoutMs: 30_000,
      what: 'the statistics in the store',
    });
    await expectAnswer(200, 'GET', '/api/keydata/{keystem}', `/api/keydata/${KEYSTEM}`);
    await expectAnswer(400, 'GET', '/api/keydata/{keystem}', '/api/keydata/a.b');
    await expectAnswer(404, 'GET', '/api/keydata/{keystem}', '/api/keydata/nobody');
    await expectAnswer(200, 'GET', '/api/keydata/all', '/api/keydata/all');
    const page = await expectAnswer(200, 'GET', '/api/keydata', '/api/keydata?limit=1');
    expect(JSON.parse(page.text).keystems).toHaveLength(1);
    await expectAnswer(400, 'GET', '/api/keydata', '/api/keydata?limit=0');
    const history = '/api/keydata/{keystem}/history';
    const days = `?interval=day&tz=America/New_York`;
    const points = await expectAnswer(200, 'GET', history, `/api/keydata/${KEYSTEM}/history${days}`);
    expect(JSON.parse(points.text).points).not.toHaveLength(0);
    await expectAnswer(200, 'GET', history, `/api/keydata/${KEYSTEM}/history?format=csv`);
    await expectAnswer(400, 'GET', history, `/api/keydata/${KEYSTEM}/history?interval=fortnight`);
    await expectAnswer(404, 'GET', history, '/api/keydata/nobody/history');
    const all = '/api/keydata/all/history';
    await expectAnswer(200, 'GET', all, `/api/keydata/all/history${days}`);
    await expectAnswer(200, 'GET', all, '/api/keydata/all/history', { accept: 'text/csv' });
    await expectAnswer(400, 'GET', all, '/api/keydata/all/history?tz=Asia/Kolkata');
  });

  it('DELETE /api/keydata/{keystem}: the admin token, bearer or basic; bad, all and unknown keystems', async () => {
    const route = '/api/keydata/{keystem}';
    const url = `/api/keydata/${KEYSTEM}`;
    await expectAnswer(401, 'DELETE', route, url);
    await expectAnswer(403, 'DELETE', route, url, { authorization: 'Bearer wrong' });
    await expectAnswer(400, 'DELETE', route, '/api/keydata/a.b', { authorization: `Bearer ${TOKEN}` });
    await expectAnswer(400, 'DELETE', route, '/api/keydata/all', { authorization: `Bearer ${TOKEN}` });
    await expectAnswer(404, 'DELETE', route, '/api/keydata/nobody', { authorization: `Bearer ${TOKEN}` });
    await expectAnswer(200, 'DELETE', route, url, { authorization: `Bearer ${TOKEN}` });
    const basic = `Basic ${Buffer.from(`ops:${TOKEN}`).toString('base64')}`;
    await expectAnswer(200, 'DELETE', route, url, { authorization: basic });
  });

  it('GET /healthz, /readyz, /metrics, /docs', async () => {
    await expectAnswer(200, 'GET', '/', '/');
    await expectAnswer(200, 'GET', '/', '/', { accept: 'application/json' });
    await expectAnswer(200, 'GET', '/healthz', '/healthz');
    await expectAnswer(200, 'GET', '/readyz', '/readyz');
    await expectAnswer(200, 'GET', '/metrics', '/metrics');
    await expectAnswer(200, 'GET', '/docs', '/docs');
  });

  it('answers 503 as documented while the store is closed', async () => {
    await store.close();
    try {
      // a store that cannot be read degrades the keydata routes, not the recording of requests
      const ready = await expectAnswer(200, 'GET', '/readyz', '/readyz');
      expect(JSON.parse(ready.text)).toMatchObject({ degraded: [{ part: 'store' }] });
      await expectAnswer(503, 'GET', '/api/keydata/{keystem}', `/api/keydata/${KEYSTEM}`);
      await expectAnswer(503, 'GET', '/api/keydata/all', '/api/keydata/all');
      await expectAnswer(503, 'GET', '/api/keydata', '/api/keydata');
      await expectAnswer(503, 'GET', '/api/keydata/{keystem}/history', `/api/keydata/${KEYSTEM}/history`);
      await expectAnswer(503, 'GET', '/api/keydata/all/history', '/api/keydata/all/history');
    } finally {
      await store.init();
    }
  });

  it('answers 503 as documented when the statistics sink refuses an event', async () => {
    // The sink of an app refusing as the producer does when Redis and its outbox both fail
    // (that failure itself: test/http/pack.test.ts); here, the shape of the answers.
    const refusing: StatsSink = {
      record: () => Promise.reject(new Error('Redis and the outbox both failed')),
      health: async () => ({ accepting: false, degraded: [{ part: 'outbox', reason: 'full' }] }),
      close: async () => undefined,
    };
    const upstream = new PaccurateClient({ url: sim.url, timeoutMs: 10_000 });
    const server = createServer(
      requestListener(createApp({ config, logger, sink: refusing, upstream, store })),
    );
    const at = await listenLocal(server);
    try {
      for (const route of ['/', '/pack'] as const) {
        await expectAnswer(503, 'POST', route, route, { body: fixture, authorization: KEY }, at);
      }
      await expectAnswer(503, 'GET', '/readyz', '/readyz', {}, at);
      const auth = { authorization: `Bearer ${TOKEN}` };
      await expectAnswer(503, 'DELETE', '/api/keydata/{keystem}', `/api/keydata/${KEYSTEM}`, auth, at);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await upstream.close();
    }
  });

  it('answers 401 and 403 as documented on every statistics read when READ_ACCESS=token', async () => {
    const guarded = testConfig({
      ADMIN_TOKEN: TOKEN,
      READ_ACCESS: 'token',
      READ_TOKEN: 'e2e-read-token-0123',
    });
    const server = createServer(
      requestListener(createApp({ config: guarded, logger, sink: new MemorySink(), store })),
    );
    const at = await listenLocal(server);
    const reads: [string, string][] = [
      ['/api/keydata', '/api/keydata'],
      ['/api/keydata/all', '/api/keydata/all'],
      ['/api/keydata/{keystem}', `/api/keydata/${KEYSTEM}`],
      ['/api/keydata/all/history', '/api/keydata/all/history'],
      ['/api/keydata/{keystem}/history', `/api/keydata/${KEYSTEM}/history`],
    ];
    try {
      for (const [route, url] of reads) {
        await expectAnswer(401, 'GET', route, url, {}, at);
        await expectAnswer(403, 'GET', route, url, { authorization: 'Bearer not-the-read-token' }, at);
      }
      const reader = { authorization: 'Bearer e2e-read-token-0123' };
      await expectAnswer(200, 'GET', '/api/keydata/all', '/api/keydata/all', reader, at);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('has driven every route through every status the document lists', () => {
    const untried = checker.documented().filter((status) => !checker.seen.has(status));
    expect(untried).toEqual([]);
  });
});
