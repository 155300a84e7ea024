import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { testConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { flatten, toCsv } from '../../src/http/csv';
import { createLogger } from '../../src/log/logger';
import { MemorySink } from '../../src/queue/sink';
import { SqliteStore } from '../../src/store/sqlite';
import { packEvent } from '../helpers/stats-events';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);

/** Parses RFC 4180 text (quoted fields, doubled quotes, CRLF) into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      endField();
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      endField();
      rows.push(row);
      row = [];
      i++;
    } else {
      field += c;
    }
  }
  return rows;
}

describe('history API', () => {
  let dir: string;
  let store: SqliteStore;
  const app = () =>
    createApp({ config: testConfig(), logger: createLogger('silent'), sink: new MemorySink(), store });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pacproxy-history-'));
    store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every hour of the range, empty ones with zero counts and null averages', async () => {
    await store.applyBatch([
      packEvent('k1', at('2026-03-01T10:15:00Z'), { latency: 100, totalCost: 200 }),
      packEvent('k1', at('2026-03-01T10:45:00Z'), { latency: 300, totalCost: 400 }),
      packEvent('k1', at('2026-03-01T12:05:00Z'), { statusCode: '500', errorResponse: true, latency: 50 }),
    ]);
    const res = await request(app())
      .get('/api/keydata/k1/history?from=2026-03-01T10:00:00Z&to=2026-03-01T13:00:00Z')
      .expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      usedKeystem: 'k1',
      interval: 'hour',
      tz: 'UTC',
      from: '2026-03-01T10:00:00.000Z',
      to: '2026-03-01T13:00:00.000Z',
    });
    const [ten, eleven, twelve] = res.body.points;
    expect(res.body.points).toHaveLength(3);
    expect(ten).toMatchObject({
      start: '2026-03-01T10:00:00Z',
      totalRequests: 2,
      packs: 2,
      avgLatency: 200,
      totalCost: 600,
      avgCostPerPack: 300,
      statusCodes: { '200': 2 },
      maxLatency: { latency: 300 },
    });
    expect(eleven).toMatchObject({
      start: '2026-03-01T11:00:00Z',
      totalRequests: 0,
      avgItemsPerPack: null,
      avgVolumeUtilization: null,
      avgLatency: null,
      avgCostPerPack: null,
      avgPackTime: null,
      statusCodes: {},
    });
    expect(twelve).toMatchObject({ totalRequests: 1, errorCount: 1, packs: 0, avgItemsPerPack: null });
    expect(Object.keys(ten)).toEqual(Object.keys(eleven));
  });

  it('answers /all/history with the keystems that had traffic in each point', async () => {
    await store.applyBatch([
      packEvent('k1', at('2026-03-01T10:15:00Z'), { latency: 100 }),
      packEvent('k2', at('2026-03-01T10:20:00Z'), { latency: 900 }),
      packEvent('k2', at('2026-03-01T11:20:00Z')),
    ]);
    const res = await request(app())
      .get('/api/keydata/all/history?from=2026-03-01T10:00:00Z&to=2026-03-01T12:00:00Z')
      .expect(200);
    expect(res.body.usedKeystem).toBeUndefined();
    expect(res.body.points).toEqual([
      expect.objectContaining({
        keystems: 2,
        totalRequests: 2,
        maxLatency: expect.objectContaining({ latency: 900, usedKeystem: 'k2' }),
      }),
      expect.objectContaining({ keystems: 1, totalRequests: 1 }),
    ]);
  });

  it('defaults to the last 24 hours, hourly, in UTC', async () => {
    await store.applyBatch([packEvent('k1', Date.now())]);
    const res = await request(app()).get('/api/keydata/k1/history').expect(200);
    expect(res.body.points).toHaveLength(24);
    expect(Date.parse(res.body.to) - Date.parse(res.body.from)).toBe(24 * H);
    expect(res.body.points.at(-1).totalRequests).toBe(1);
  });

  it("groups New York's days across daylight saving: a 23-hour and a 25-hour day", async () => {
    await store.applyBatch([
      packEvent('k1', at('2026-03-08T04:30:00Z')), // Mar 7, 23:30 EST
      packEvent('k1', at('2026-03-08T05:30:00Z')), // Mar 8, 00:30 EST
      packEvent('k1', at('2026-03-09T03:30:00Z')), // Mar 8, 23:30 EDT (the 23-hour day)
      packEvent('k1', at('2026-03-09T04:30:00Z')), // Mar 9, 00:30 EDT
      packEvent('k1', at('2026-11-02T04:30:00Z')), // Nov 1, 23:30 EST (the 25-hour day)
    ]);
    const march = await request(app())
      .get('/api/keydata/k1/history')
      .query({
        from: '2026-03-07T05:00:00Z',
        to: '2026-03-10T04:00:00Z',
        interval: 'day',
        tz: 'America/New_York',
      })
      .expect(200);
    expect(march.body.tz).toBe('America/New_York');
    expect(
      march.body.points.map((p: { start: string; totalRequests: number }) => [p.start, p.totalRequests]),
    ).toEqual([
      ['2026-03-07T00:00:00-05:00', 1],
      ['2026-03-08T00:00:00-05:00', 2],
      ['2026-03-09T00:00:00-04:00', 1],
    ]);
    const november = await request(app())
      .get('/api/keydata/k1/history')
      .query({
        from: '2026-11-01T04:00:00Z',
        to: '2026-11-02T05:00:00Z',
        interval: 'day',
        tz: 'America/New_York',
      })
      .expect(200);
    expect(november.body.points).toEqual([
      expect.objectContaining({ start: '2026-11-01T00:00:00-04:00', totalRequests: 1 }),
    ]);
    const weeks = await request(app())
      .get('/api/keydata/k1/history')
      .query({
        from: '2026-03-04T00:00:00Z',
        to: '2026-03-16T04:00:00Z',
        interval: 'week',
        tz: 'America/New_York',
      })
      .expect(200);
    expect(
      weeks.body.points.map((p: { start: string; totalRequests: number }) => [p.start, p.totalRequests]),
    ).toEqual([
      ['2026-03-02T00:00:00-05:00', 3],
      ['2026-03-09T00:00:00-04:00', 1],
    ]);
    const months = await request(app())
      .get('/api/keydata/k1/history')
      .query({
        from: '2026-01-01T05:00:00Z',
        to: '2027-01-01T05:00:00Z',
        interval: 'month',
        tz: 'America/New_York',
      })
      .expect(200);
    expect(months.body.points).toHaveLength(12);
    expect(months.body.points[2]).toMatchObject({ start: '2026-03-01T00:00:00-05:00', totalRequests: 4 });
    expect(months.body.points[10]).toMatchObject({ start: '2026-11-01T00:00:00-04:00', totalRequests: 1 });
  });

  it('answers CSV for Accept: text/csv and ?format=csv: a header row, one row per point, maps as columns', async () => {
    await store.applyBatch([
      packEvent('k1', at('2026-03-01T10:15:00Z'), { boxTypes: { 'big, "red"': 2, '=cmd': 1 } }),
      packEvent('k1', at('2026-03-01T11:15:00Z'), { statusCode: '404', errorResponse: true }),
    ]);
    const url = '/api/keydata/k1/history?from=2026-03-01T10:00:00Z&to=2026-03-01T12:00:00Z';
    const viaAccept = await request(app()).get(url).set('Accept', 'text/csv').expect(200);
    const viaFormat = await request(app()).get(`${url}&format=csv`).expect(200);
    expect(viaAccept.text).toBe(viaFormat.text);
    expect(viaAccept.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(viaAccept.headers['content-disposition']).toBe(
      'attachment; filename="pacproxy-history-k1-20260301T100000Z-20260301T120000Z-hour.csv"',
    );
    expect(viaAccept.text.endsWith('\r\n')).toBe(true);
    const [header, ...rows] = parseCsv(viaAccept.text);
    expect(rows).toHaveLength(2);
    const column = (name: string) => (header as string[]).indexOf(name);
    expect(header?.slice(0, 4)).toEqual(['start', 'totalItems', 'totalVolume', 'avgItemsPerPack']);
    expect(column('boxTypes.big, "red"')).toBeGreaterThan(0);
    expect(column("'boxTypes.=cmd")).toBe(-1); // the name starts with "boxTypes", not a formula
    expect(rows[0]?.[column('boxTypes.big, "red"')]).toBe('2');
    expect(rows[0]?.[column('statusCodes.200')]).toBe('1');
    expect(rows[1]?.[column('statusCodes.404')]).toBe('1');
    expect(rows[1]?.[column('statusCodes.200')]).toBe('');
    expect(rows[1]?.[column('avgItemsPerPack')]).toBe(''); // null
    expect(rows[0]?.[column('maxLatency.latency')]).toBe('1000000');
    expect(viaAccept.text).toContain('"boxTypes.big, ""red"""');
  });

  it.each([
    ['a bad date', 'from=yesterday', /from is not an ISO 8601 instant/],
    ['a date without a zone', 'from=2026-03-01T00:00:00', /from is not an ISO 8601 instant/],
    ['from after to', 'from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', /from must be before to/],
    ['from equal to to', 'from=2026-03-02T00:00:00Z&to=2026-03-02T00:00:00Z', /from must be before to/],
    ['an unknown interval', 'interval=fortnight', /interval is one of hour, day, week, month/],
    ['an unknown zone', 'tz=Mars/Olympus', /unknown time zone "Mars\/Olympus"/],
    ['a half-hour zone', 'tz=Asia/Kolkata', /Asia\/(Kolkata|Calcutta) is \+05:30/],
    [
      'more than 5,000 points',
      'from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
      /more than 5000 hours: use a coarser interval/,
    ],
    ['an unknown format', 'format=xml', /format is json or csv/],
    ['a repeated parameter', 'tz=UTC&tz=UTC', /tz is given more than once/],
  ])('answers 400 {Message} for %s', async (_what, query, message) => {
    await store.applyBatch([packEvent('k1', Date.now())]);
    for (const route of ['/api/keydata/k1/history', '/api/keydata/all/history']) {
      const res = await request(app()).get(`${route}?${query}`).expect(400);
      expect(res.body).toEqual({
        Message: expect.stringMatching(message),
        Code: expect.stringMatching(/^PACPROXY_ERR_/),
      });
    }
  });

  it('answers 404 for a keystem without data, 400 for a malformed one, 503 when the store fails', async () => {
    const res = await request(app()).get('/api/keydata/nobody/history').expect(404);
    expect(res.body).toEqual({ Message: 'no data for keystem nobody', Code: 'PACPROXY_ERR_UNKNOWN_KEYSTEM' });
    await request(app()).get('/api/keydata/a.b/history').expect(400);
    await store.close();
    await request(app()).get('/api/keydata/all/history').expect(503);
  });
});

describe('CSV writer', () => {
  it('quotes per RFC 4180 and defuses formulas, leaving numbers alone', () => {
    const { columns, rows } = flatten([
      { a: 'x,y', b: { n: -5, text: '-5' }, c: null },
      { a: 'line\nbreak', b: { m: '@sum' }, c: 'say "hi"' },
    ]);
    expect(columns).toEqual(['a', 'b.m', 'b.n', 'b.text', 'c']);
    expect(toCsv(columns, rows)).toBe(
      'a,b.m,b.n,b.text,c\r\n"x,y",,-5,\'-5,\r\n"line\nbreak",\'@sum,,,"say ""hi"""\r\n',
    );
  });
});
