import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { testConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { Metrics } from '../../src/metrics/metrics';
import { openApiDocument } from '../../src/openapi/document';
import { API_ROUTES, NAMED_SCHEMAS, UI_MOUNTS } from '../../src/openapi/routes';
import { MemorySink } from '../../src/queue/sink';
import { SqliteStore } from '../../src/store/sqlite';
import { PaccurateClient } from '../../src/upstream/paccurate-client';
import { openStatsQueues } from '../admin/stats-queues';
import { RedisProcess } from '../helpers/redis-server';
import { registeredRoutes } from './registered-routes';

const run = promisify(execFile);
const VALIDATOR = path.join(__dirname, '../../node_modules/.bin/validate-api');

describe('the OpenAPI document', () => {
  const doc = openApiDocument();
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-openapi-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator, every $ref resolved)', async () => {
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    // the validator is an ES module, which jest's CommonJS runtime cannot load: run its CLI
    const { stdout } = await run(process.execPath, [VALIDATOR, file]).catch((err: { stdout: string }) => ({
      stdout: err.stdout,
    }));
    expect(JSON.parse(stdout)).toEqual({ valid: true });
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  it('closes every object of our answers (additionalProperties: false)', () => {
    const open = Object.entries((doc.components as { schemas: Record<string, object> }).schemas)
      .filter(([, schema]) => !openObjectsClosed(schema))
      .map(([name]) => name);
    // Paccurate's request and answer, and the document itself: their shapes are not ours to close
    expect(open.sort()).toEqual(['OpenApiDocument', 'PaccurateAnswer', 'PackRequest']);
  });

  it('names every answer schema once, and lists a success status for every route', () => {
    expect(new Set(Object.values(NAMED_SCHEMAS)).size).toBe(Object.keys(NAMED_SCHEMAS).length);
    const withoutSuccess = API_ROUTES.filter((r) => !Object.keys(r.answers).some((s) => s.startsWith('2')));
    expect(withoutSuccess.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  describe('and the app', () => {
    let redis: RedisProcess;
    let queues: Awaited<ReturnType<typeof openStatsQueues>>;
    let store: SqliteStore;
    let upstream: PaccurateClient;

    beforeAll(async () => {
      redis = await RedisProcess.start();
      queues = await openStatsQueues(redis.url, 2);
      store = new SqliteStore({ path: path.join(dir, 'stats.db') });
      await store.init();
      upstream = new PaccurateClient({ url: 'http://127.0.0.1:9/', timeoutMs: 1000 });
    });
    afterAll(async () => {
      await upstream.close();
      await store.close();
      await queues.close();
      await redis.stop();
    });

    /** The app as the proxy role builds it: every optional part given. */
    const fullApp = () =>
      createApp({
        config: testConfig({ ADMIN_TOKEN: 'document-admin-token' }),
        logger: createLogger('silent'),
        sink: new MemorySink(),
        upstream,
        store,
        metrics: new Metrics(),
        queues: queues.queues,
      });

    it('serves every route the document lists, and the document lists every route the app serves', () => {
      const documented = API_ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`);
      const mounts = Object.keys(UI_MOUNTS);
      const served = registeredRoutes(fullApp()).filter(
        (route) => !mounts.some((m) => route.split(' ')[1]?.startsWith(m)),
      );
      const undocumented = served.filter((r) => !documented.includes(r));
      const unserved = documented.filter((r) => !served.includes(r));
      expect({
        'served by the app but missing from API_ROUTES (src/openapi/routes.ts)': undocumented,
        'in API_ROUTES (src/openapi/routes.ts) but not served by the app': unserved,
      }).toEqual({
        'served by the app but missing from API_ROUTES (src/openapi/routes.ts)': [],
        'in API_ROUTES (src/openapi/routes.ts) but not served by the app': [],
      });
      // every UI mount is really there (a stale entry would hide routes from the check above)
      for (const mount of mounts) expect(registeredRoutes(fullApp()).join('\n')).toContain(` ${mount}`);
    });

    it('answers GET /openapi.json with this document', async () => {
      const res = await request(fullApp()).get('/openapi.json').expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual(doc);
    });

    it('serves /docs and its Swagger UI files itself (no other origin), and nothing else of the package', async () => {
      const app = fullApp();
      const page = await request(app).get('/docs').expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
      expect(assets.length).toBeGreaterThanOrEqual(4);
      for (const asset of assets) {
        expect(asset.startsWith('/docs/assets/')).toBe(true);
        const res = await request(app).get(asset).expect(200);
        expect(res.text.length).toBeGreaterThan(0);
      }
      expect(page.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
      await request(app).get('/docs/assets/index.html').expect(404);
      await request(app).get('/docs/assets/swagger-initializer.js').expect(404);
    });
  });
});

/** true when every object schema inside `schema` (not behind a $ref) is closed. */
function openObjectsClosed(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.every(openObjectsClosed);
  if (schema === null || typeof schema !== 'object') return true;
  const s = schema as Record<string, unknown>;
  if (s.type === 'object' && s.properties !== undefined && s.additionalProperties !== false) return false;
  return Object.values(s).every(openObjectsClosed);
}
