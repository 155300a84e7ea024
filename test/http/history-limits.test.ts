import http from 'node:http';
import vm from 'node:vm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { testConfig } from '../../src/config';
import { Zone } from '../../src/history/calendar';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { MemorySink } from '../../src/queue/sink';
import { SqliteStore } from '../../src/store/sqlite';

/** The status a handler that spun past the watchdog is answered with. */
const SPUN = 599;

/**
 * The app behind a watchdog: every request's synchronous handling runs under vm's timeout, which
 * stops JavaScript still running after `ms`, so a route that spins the event loop answers 599
 * (and the test fails) instead of hanging the test run.
 */
function watched(app: http.RequestListener, ms = 2000): http.Server {
  return http.createServer((req, res) => {
    try {
      vm.runInNewContext('handle()', { handle: () => app(req, res) }, { timeout: ms });
    } catch (err) {
      res.writeHead(SPUN).end(String(err));
    }
  });
}

describe('history API limits', () => {
  let dir: string;
  let store: SqliteStore;
  let server: http.Server;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pacproxy-history-limits-'));
    store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
    server = watched(
      createApp({ config: testConfig(), logger: createLogger('silent'), sink: new MemorySink(), store }),
    );
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const history = (query: string) => request(server).get(`/api/keydata/all/history?${query}`).timeout(5000);

  it.each([
    [
      'the year 0 by day',
      'from=0000-01-01T00:00:00Z&to=0000-01-03T00:00:00Z&interval=day',
      /from is 0000-01-01/,
    ],
    ['the year 0 by week', 'from=0000-01-01T00:00:00Z&to=0000-01-03T00:00:00Z&interval=week', /from/],
    ['the year 0 by month', 'from=0000-01-01T00:00:00Z&to=0000-01-03T00:00:00Z&interval=month', /from/],
    ['the year 99 by day', 'from=0099-01-01T00:00:00Z&to=0099-01-03T00:00:00Z&interval=day', /from/],
    ['the year 50 by hour in Etc/GMT+5', 'from=0050-01-01T00:00Z&interval=hour&tz=Etc/GMT%2B5', /from/],
    ['a range ending before 1970', 'to=1970-01-01T05:00:00Z', /from is 1969-12-31T05:00:00.000Z/],
    ['a range ending after 9999', 'from=9999-12-31T12:00:00Z', /to is \+010000-01-01T12:00:00.000Z/],
  ])('refuses %s at once with 400, naming the years served', async (_what, query, names) => {
    const res = await history(query);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      Code: 'PACPROXY_ERR_BAD_HISTORY_QUERY',
      Message: expect.stringMatching(/the years 1970 to 9999/),
    });
    expect(res.body.Message).toMatch(names);
    await request(server).get('/healthz').timeout(5000).expect(200);
  });

  it('serves the first and last hours of the years served', async () => {
    const first = await history('from=1970-01-01T00:00:00Z&interval=day&tz=America/New_York').expect(200);
    expect(first.body.points.map((p: { start: string }) => p.start)).toEqual([
      '1969-12-31T00:00:00-05:00',
      '1970-01-01T00:00:00-05:00',
    ]);
    const last = await history(
      'from=9999-12-31T00:00:00Z&to=9999-12-31T20:00:00-04:00&interval=month&tz=Pacific/Kiritimati',
    ).expect(200);
    expect(last.body.to).toBe('+010000-01-01T00:00:00.000Z');
    expect(last.body.points.map((p: { start: string }) => p.start)).toEqual([
      '9999-12-01T00:00:00+14:00',
      '10000-01-01T00:00:00+14:00',
    ]);
  });

  it('answers the canonical name of a zone however it is spelled, and keeps one zone for all spellings', async () => {
    const query = (tz: string) => history(`from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&tz=${tz}`);
    expect((await query('Europe/Berlin').expect(200)).body.tz).toBe('Europe/Berlin');
    const cached = Zone.cachedCount;
    const spellings = ['eUrOpE/bErLiN', 'EUROPE/BERLIN', 'europe/berlin', 'Europe/berliN'];
    for (let i = 0; i < 100; i++) {
      spellings.push([...'europe/berlin'].map((c, j) => ((i >> (j % 8)) & 1 ? c.toUpperCase() : c)).join(''));
    }
    for (const tz of spellings) expect((await query(tz).expect(200)).body.tz).toBe('Europe/Berlin');
    expect(Zone.cachedCount).toBe(cached);
  });

  it.each([
    ['2026-02-31T00:00Z', 400],
    ['2026-02-29T00:00:00Z', 400],
    ['2026-04-31T00:00:00Z', 400],
    ['2026-01-00T00:00:00Z', 400],
    ['2024-02-29T00:00:00Z', 200],
    ['2026-01-31T00:00:00+01:00', 200],
  ])(
    'answers from=%s with %i (a day that does not exist is refused, not rolled over)',
    async (from, status) => {
      const res = await history(`from=${encodeURIComponent(from)}`);
      expect(res.status).toBe(status);
      if (status === 400) {
        expect(res.body).toEqual({
          Code: 'PACPROXY_ERR_BAD_HISTORY_QUERY',
          Message: expect.stringMatching(/^from is not an ISO 8601 instant/),
        });
      }
    },
  );
});
