import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pack } from '../../ops/paccurate-sim/packer';
import type { StatsSink } from '../../src/queue/sink';
import { InFlightCount } from '../../src/util/in-flight';
import { freePort } from '../helpers/net';
import { LogCapture, createPackApp, postJson, useSimulatedProxy } from './pack-harness';

// a string: supertest would JSON-encode a Buffer
const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');
const API_KEY = 'aqRAiz-8RAthis-part-is-secret-0123456789';
const STEM = 'aqRAiz-8RA';
const auth = `apikey ${API_KEY}`;

const multiBoxRequest = {
  requestId: 'r-multi',
  itemSets: [
    { refId: 1, dimensions: { x: 9, y: 9, z: 9 }, quantity: 3, weight: 10 },
    { refId: 2, dimensions: { x: 3, y: 3, z: 3 }, quantity: 5, weight: 1 },
    { refId: 3, dimensions: { x: 4, y: 4, z: 2 }, quantity: 4, weight: 1 },
  ],
  boxTypes: [
    { refId: 'big', dimensions: { x: 10, y: 10, z: 10 }, weightMax: 25 },
    { refId: 'small', dimensions: { x: 4, y: 4, z: 4 } },
  ],
};

describe('POST / against the simulator', () => {
  const logs = new LogCapture();
  const ctx = useSimulatedProxy(logs);
  const post = (body: string, contentType?: string, app = ctx.proxy.app) =>
    postJson(app, '/', body, { authorization: auth, contentType });
  const lastEvent = () => ctx.proxy.events().at(-1);

  it('answers the stats of the fixture exchange and records them as an event', async () => {
    const res = await post(fixture);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      usedKeystem: STEM,
      totalItems: 1,
      totalVolume: 240,
      volumeUtilization: 0.5,
      boxTypes: { '0': 1 },
      timeStamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      cacheHit: false,
      requestError: false,
      errorResponse: false,
      statusCode: '200',
      latency: expect.any(Number),
      totalCost: 240,
      boxes: 1,
      leftovers: 0,
      totalWeight: 2,
      packTime: expect.any(Number),
      boxTypeStats: { '0': { volumeUtilizationSum: 0.5, volumeUtilizationCount: 1, totalCost: 240 } },
      boxTypeChoiceGoalUsed: 'lowest-cost',
      warnings: 0,
    });
    expect(res.body.latency).toBeGreaterThan(0);
    expect(Number.isInteger(res.body.latency)).toBe(true);
    expect(ctx.sim.lastRequest?.body.toString()).toBe(fixture);
    expect(ctx.sim.lastRequest?.headers.authorization).toBe(auth);
    expect(lastEvent()).toEqual({
      kind: 'pack',
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      keystem: STEM,
      at: expect.any(Number),
      stats: res.body,
    });
  });

  it('counts boxes per box type for a multi-box, multi-type answer', async () => {
    const expected = pack(multiBoxRequest, { images: false });
    const res = await post(JSON.stringify(multiBoxRequest));
    expect(res.status).toBe(200);
    // each nine-cube needs a 'big' box of its own; the small items all fit the first one
    expect(res.body).toMatchObject({
      totalItems: expected.lenItems,
      totalVolume: expected.totalVolume,
      volumeUtilization: expected.totalVolumeUtilization,
      boxTypes: { big: 3 },
    });
    expect(res.body.totalItems).toBe(12);
    expect(lastEvent()?.stats.boxTypes).toEqual({ big: 3 });
  });

  it('counts several box types', async () => {
    const body = {
      itemSets: [
        { refId: 'a', dimensions: { x: 9, y: 9, z: 9 }, quantity: 2 },
        { refId: 'b', dimensions: { x: 4, y: 4, z: 4 }, quantity: 2 },
      ],
      boxTypes: [
        { refId: 'A', dimensions: { x: 9, y: 9, z: 9 } },
        { refId: 'B', dimensions: { x: 4, y: 4, z: 4 } },
      ],
    };
    const res = await post(JSON.stringify(body));
    expect(res.body).toMatchObject({
      boxTypes: { A: 2, B: 2 },
      totalItems: 4,
      totalVolume: 2 * 729 + 2 * 64,
    });
  });

  describe('refused requests are answered with the right status, and still counted', () => {
    const cases: [string, () => ReturnType<typeof post>, number, RegExp][] = [
      ['malformed JSON', () => post('{"itemSets": ['), 400, /malformed/],
      ['a 15 MB body', () => post(' '.repeat(15 * 1024 * 1024)), 413, /too large/],
      ['multipart form data', () => post(fixture, 'multipart/form-data; boundary=x'), 415, /multipart/],
      ['a latin-1 charset', () => post(fixture, 'text/plain; charset=ISO-8859-1'), 415, /UTF-8/],
      ['a JSON array', () => post('[]'), 422, /not a pack request/],
      ['an object without itemSets', () => post('{}'), 422, /itemSets/],
    ];
    it.each(cases)('%s', async (_what, send, status, message) => {
      const before = ctx.sim.received;
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body.Message).toMatch(message);
      expect(ctx.sim.received).toBe(before);
      expect(lastEvent()?.stats).toMatchObject({
        requestError: true,
        errorResponse: false,
        statusCode: '0',
        usedKeystem: STEM, // remembered from the earlier answer for this key
      });
      expect(res.body).toMatchObject({ usedKeystem: STEM, requestError: true, statusCode: '0' });
    });

    it('accepts a charset parameter', async () => {
      expect((await post(fixture, 'application/json; charset=UTF-8')).status).toBe(200);
    });
  });

  describe("Paccurate's error answers come back with their status and reason, and are counted", () => {
    it.each([400, 500])('upstream %d', async (status) => {
      ctx.sim.behavior.status = status;
      const res = await post(fixture);
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({
        Message: expect.stringContaining(`simulated ${status}`),
        usedKeystem: STEM,
        errorResponse: true,
        requestError: false,
        statusCode: String(status),
        totalItems: 0,
      });
      expect(lastEvent()?.stats).toMatchObject({ errorResponse: true, statusCode: String(status) });
    });

    it("passes Paccurate's own 503 on without counting it: the client sends the request again", async () => {
      const before = ctx.proxy.events().length;
      ctx.sim.behavior.status = 503;
      const res = await post(fixture);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        Message: expect.stringContaining('simulated 503'),
        Code: 'PACPROXY_ERR_UPSTREAM_ERROR',
        statusCode: '503',
      });
      expect(ctx.proxy.events()).toHaveLength(before);
      ctx.sim.behavior.status = null;
      expect((await post(fixture)).status).toBe(200);
      expect(ctx.proxy.events()).toHaveLength(before + 1);
    });

    it('an HTML page instead of JSON is a 502', async () => {
      ctx.sim.behavior.html = true;
      const res = await post(fixture);
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({
        Message: expect.stringMatching(/not JSON/),
        errorResponse: true,
        requestError: false,
        statusCode: '200',
      });
      expect(lastEvent()?.stats).toMatchObject({ errorResponse: true, statusCode: '200' });
    });
  });

  it("attributes an error to the keystem of a key sent in the body (older clients), as of the header's", async () => {
    const bodyKey = 'BODYkey000-the-rest-is-secret';
    const withBodyKey = JSON.stringify({ ...JSON.parse(fixture), key: bodyKey });
    const ok = await postJson(ctx.proxy.app, '/', withBodyKey, {});
    expect(ok.body.usedKeystem).toBe('BODYkey000');
    ctx.sim.behavior.status = 500;
    const failed = await postJson(ctx.proxy.app, '/', withBodyKey, {});
    expect(failed.status).toBe(500);
    expect(failed.body.usedKeystem).toBe('BODYkey000');
    expect(lastEvent()).toMatchObject({ keystem: 'BODYkey000', stats: { errorResponse: true } });
  });

  it('answers 504 when Paccurate is slower than PACCURATE_TIMEOUT_MS', async () => {
    const impatient = createPackApp({
      paccurateUrl: ctx.sim.url,
      config: { PACCURATE_TIMEOUT_MS: 200 },
      logs,
    });
    try {
      ctx.sim.behavior.latencyMs = 2000;
      const res = await post(fixture, undefined, impatient.app);
      expect(res.status).toBe(504);
      expect(res.body).toMatchObject({
        Message: expect.stringMatching(/did not answer within 200 ms/),
        requestError: true,
        errorResponse: false,
        statusCode: '0',
        // a fresh proxy without Redis has not seen this key yet
        usedKeystem: 'unknown',
      });
      expect(res.body.latency).toBeGreaterThan(0);
      expect(impatient.events()).toHaveLength(1);
    } finally {
      await impatient.close();
    }
  });

  it('answers 502 when Paccurate is unreachable', async () => {
    const stranded = createPackApp({ paccurateUrl: `http://127.0.0.1:${await freePort()}/`, logs });
    try {
      const res = await post(fixture, undefined, stranded.app);
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({ Message: expect.stringMatching(/unreachable/), requestError: true });
      expect(stranded.events()[0]?.stats).toMatchObject({ requestError: true, statusCode: '0' });
    } finally {
      await stranded.close();
    }
  });

  it('answers 503 without counting when the sink does not accept the event', async () => {
    const refusing: StatsSink = {
      record: () => Promise.reject(new Error('redis and outbox both down')),
      health: async () => ({ accepting: false, degraded: [] }),
      close: async () => {},
    };
    const broken = createPackApp({ paccurateUrl: ctx.sim.url, sink: refusing, logs });
    try {
      const res = await postJson(broken.app, '/', fixture);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        Message: expect.stringMatching(/not counted/),
        Code: 'PACPROXY_ERR_STATS_UNAVAILABLE',
      });
      // POST /pack also says it in Paccurate's error shape
      const pack = await postJson(broken.app, '/pack', fixture);
      expect(pack.status).toBe(503);
      expect(pack.body).toEqual({
        Message: pack.body.message,
        Code: 'PACPROXY_ERR_STATS_UNAVAILABLE',
        code: 503,
        message: expect.stringMatching(/not counted/),
      });
    } finally {
      await broken.close();
    }
  });

  it('counts each request in flight from its start to its answer, refused ones included', async () => {
    const requestsInFlight = new InFlightCount();
    const seenWhileRecording: number[] = [];
    const watching: StatsSink = {
      record: async (event) => {
        seenWhileRecording.push(requestsInFlight.count);
        if (event.kind === 'pack' && event.stats.statusCode === '0') throw new Error('refused');
      },
      health: async () => ({ accepting: true, degraded: [] }),
      close: async () => {},
    };
    const counted = createPackApp({ paccurateUrl: ctx.sim.url, sink: watching, requestsInFlight, logs });
    try {
      expect((await postJson(counted.app, '/', fixture)).status).toBe(200);
      expect(requestsInFlight.count).toBe(0);
      // a malformed body is recorded (statusCode "0") and, here, refused by the sink: 503
      expect((await postJson(counted.app, '/pack', '{not json')).status).toBe(503);
      expect(requestsInFlight.count).toBe(0);
      const both = await Promise.all([
        postJson(counted.app, '/', fixture),
        postJson(counted.app, '/pack', fixture),
      ]);
      expect(both.map((r) => r.status)).toEqual([200, 200]);
      expect(requestsInFlight.count).toBe(0);
      expect(seenWhileRecording.slice(0, 2)).toEqual([1, 1]);
      expect(seenWhileRecording).toHaveLength(4);
      expect(Math.max(...seenWhileRecording.slice(2))).toBeLessThanOrEqual(2);
    } finally {
      await counted.close();
    }
  });

  it('keeps serving after all of that, and never logs the API key', async () => {
    const res = await post(fixture);
    expect(res.status).toBe(200);
    expect(res.body.usedKeystem).toBe(STEM);
    const packLines = logs.lines.filter((l) => l.includes('"pack request"'));
    expect(packLines.length).toBeGreaterThanOrEqual(12);
    expect(JSON.parse(packLines.at(-1) ?? '{}')).toMatchObject({ route: '/', status: 200, keystem: STEM });
    for (const line of logs.lines) {
      expect(line).not.toContain(API_KEY);
      expect(line).not.toContain('this-part-is-secret');
    }
  });
});
