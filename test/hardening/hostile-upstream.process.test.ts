import { readFileSync } from 'node:fs';
import path from 'node:path';
import { STATS_HEADER, STATS_HEADER_MAX_BYTES } from '../../src/http/pack-flow';
import { sanitizeKey } from '../../src/stats/keys';
import { OTHER_BOX_TYPES } from '../../src/stats/paccurate';
import { CountingProxy } from '../helpers/counting-proxy';
import { answerJson, boxesOf, HostileUpstream, packAnswer } from './support/hostile-upstream';

/**
 * A hostile upstream: one that answers huge, out-of-range or odd values. Every
 * request is answered with a status that says what happened and counted exactly once; what is
 * stored stays readable and deletable, and no event is dead-lettered for its content.
 */
const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');
const ADMIN_TOKEN = 'hostile-upstream-admin-token';

describe('a hostile upstream', () => {
  let upstream: HostileUpstream;
  let proxy: CountingProxy;
  beforeAll(async () => {
    upstream = await HostileUpstream.start();
    proxy = await CountingProxy.start({
      PACCURATE_URL: upstream.url,
      UPSTREAM_ANSWER_LIMIT: '4mb',
      ADMIN_TOKEN,
    });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  const pack = (route: '/' | '/pack' = '/pack') =>
    fetch(`${proxy.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'apikey Hostile-01-secret-key' },
      body: fixture,
    });
  const get = (route: string) => fetch(`${proxy.url}${route}`);

  /** Sends one request and checks it was counted exactly once; answers the response. */
  async function countedOnce(route: '/' | '/pack' = '/pack'): Promise<Response> {
    const before = await proxy.counted();
    const res = await pack(route);
    await res.clone().arrayBuffer();
    expect(await proxy.countedAtLeast(before + 1)).toBe(before + 1);
    return res;
  }

  it('cuts off an answer past UPSTREAM_ANSWER_LIMIT while it streams: 502, counted once', async () => {
    upstream.bytesSent = 0;
    upstream.behave = upstream.streamHuge(300 * 1024 * 1024);
    const rssBefore = process.memoryUsage().rss;
    const res = await countedOnce();
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ Code: 'PACPROXY_ERR_UPSTREAM_TOO_LARGE', code: 502 });
    // the proxy stopped reading: far less than the 300 MB went out, and none of it was kept
    expect(upstream.bytesSent).toBeLessThan(64 * 1024 * 1024);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
  });

  it.each([
    ['lenItems of 2^53', { lenItems: 2 ** 53 }],
    ['a negative count', { lenItems: -3 }],
    ['a fractional count', { lenItems: 1.5 }],
    ['a negative volume', { totalVolume: -1 }],
    ['an overflowing utilization', { totalVolumeUtilization: 1e300 }],
  ])('refuses %s with 502 and counts the request once, as an error answer', async (_what, fields) => {
    upstream.behave = answerJson(packAnswer(fields));
    const res = await countedOnce('/');
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({
      Code: 'PACPROXY_ERR_UPSTREAM_BAD_ANSWER',
      errorResponse: true,
      totalItems: 0,
      usedKeystem: 'Hostile-01',
    });
    // the totals stay readable: nothing overflowed
    const all = await get('/api/keydata/all');
    expect(all.status).toBe(200);
  });

  it('reads NaN-like values (1e999, strings, null) as 0, never as a number out of range', async () => {
    upstream.behave = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        '{"usedKeyStem":"Hostile-01","lenItems":1e999,"totalVolume":"NaN","totalVolumeUtilization":null}',
      );
    };
    const res = await countedOnce('/');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ totalItems: 0, totalVolume: 0, volumeUtilization: 0 });
  });

  it('refuses an answer nested deeper than JSON_MAX_DEPTH: 502, counted once', async () => {
    upstream.behave = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"usedKeyStem":"Hostile-01","x":${'['.repeat(50_000)}${']'.repeat(50_000)}}`);
    };
    const res = await countedOnce();
    expect(res.status).toBe(502);
  });

  it('never stores a keystem that cannot be read and deleted', async () => {
    for (const stem of ['../x', 'a\r\nb', 'all', 'x'.repeat(65), '__proto__?']) {
      upstream.behave = answerJson(packAnswer({ usedKeyStem: stem }));
      expect((await countedOnce('/')).status).toBe(200);
    }
    const list = (await (await get('/api/keydata?limit=1000')).json()) as { keystems: string[] };
    expect(list.keystems.length).toBeGreaterThan(0);
    for (const keystem of list.keystems) {
      expect((await get(`/api/keydata/${encodeURIComponent(keystem)}`)).status).toBe(200);
      const deleted = await fetch(`${proxy.url}/api/keydata/${encodeURIComponent(keystem)}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(deleted.status).toBe(200);
    }
  });

  it('counts a __proto__ refId under the name its answer shows', async () => {
    upstream.behave = answerJson(
      packAnswer({ usedKeyStem: 'ProtoStem1', boxes: boxesOf(['__proto__', '__proto__']) }),
    );
    const res = await countedOnce();
    const stats = JSON.parse(res.headers.get(STATS_HEADER) ?? '{}');
    expect(stats.boxTypes).toEqual({ [sanitizeKey('__proto__')]: 2 });
    const totals = (await (await get('/api/keydata/ProtoStem1')).json()) as {
      boxTypes: Record<string, number>;
    };
    expect(totals.boxTypes).toEqual({ [sanitizeKey('__proto__')]: 2 });
  });

  it('folds 2,000 refIds of 500 characters into one bucket: small header, small /all', async () => {
    for (let request = 0; request < 6; request++) {
      const refIds = Array.from({ length: 2000 }, (_, i) => `${request}-${i}-`.padEnd(500, 'r'));
      upstream.behave = answerJson(packAnswer({ usedKeyStem: 'ManyTypes1', boxes: boxesOf(refIds) }));
      const res = await countedOnce();
      expect(res.status).toBe(200);
      expect((res.headers.get(STATS_HEADER) ?? '').length).toBeLessThan(1024);
      expect(JSON.parse(res.headers.get(STATS_HEADER) ?? '{}').boxTypes).toEqual({ [OTHER_BOX_TYPES]: 2000 });
    }
    const all = await get('/api/keydata/all');
    expect((await all.text()).length).toBeLessThan(64 * 1024);
    const totals = (await (await get('/api/keydata/ManyTypes1')).json()) as {
      boxTypes: Record<string, number>;
    };
    expect(totals.boxTypes[OTHER_BOX_TYPES]).toBe(12_000);
  });

  it('keeps X-Pacproxy-Stats under 8 KB: past it, the per-box-type maps stay in POST / alone', async () => {
    // 100 box types (BOX_TYPES_MAX) of 64 characters (REFID_MAX_LENGTH), each escaped 6-fold in a header
    const refIds = Array.from({ length: 100 }, (_, i) => `${i}-`.padEnd(64, 'é'));
    upstream.behave = answerJson(packAnswer({ usedKeyStem: 'ManyTypes2', boxes: boxesOf(refIds) }));
    const res = await countedOnce('/pack'); // fetch itself refuses headers past 16 KB in all
    expect(res.status).toBe(200);
    const header = res.headers.get(STATS_HEADER) ?? '';
    expect(header.length).toBeLessThanOrEqual(STATS_HEADER_MAX_BYTES);
    expect(JSON.parse(header)).toMatchObject({
      usedKeystem: 'ManyTypes2',
      boxTypes: {},
      boxTypeStats: {},
      boxTypesOmitted: true,
    });
    const body = (await (await countedOnce('/')).json()) as { boxTypes: Record<string, number> };
    expect(Object.keys(body.boxTypes)).toHaveLength(100);
    expect(body).not.toHaveProperty('boxTypesOmitted');
  });
});
