import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type request from 'supertest';
import { STATS_HEADER } from '../../src/http/pack-flow';
import { LogCapture, createPackApp, postJson, useSimulatedProxy } from './pack-harness';

const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');
const auth = 'apikey 6UZlPsHAqp-rest-of-the-key';

describe('POST /pack: Paccurate answer passed through, stats in a header', () => {
  const logs = new LogCapture();
  const ctx = useSimulatedProxy(logs);
  const postPack = (app = ctx.proxy.app) =>
    postJson(app, '/pack', fixture, { authorization: auth })
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
  const statsOf = (res: request.Response) => JSON.parse(String(res.headers[STATS_HEADER.toLowerCase()]));

  it("returns Paccurate's body byte for byte, its content type, and the stats", async () => {
    const res = await postPack();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const answer = JSON.parse((res.body as Buffer).toString());
    expect(answer).toMatchObject({ usedKeyStem: '6UZlPsHAqp', lenItems: 1, totalVolume: 240 });
    expect(ctx.sim.lastAnswer?.body.equals(res.body as Buffer)).toBe(true);
    expect(statsOf(res)).toMatchObject({
      usedKeystem: '6UZlPsHAqp',
      totalItems: 1,
      totalVolume: 240,
      volumeUtilization: 0.5,
      boxTypes: { '0': 1 },
      statusCode: '200',
    });
    expect(ctx.proxy.events().at(-1)?.stats).toEqual(statsOf(res));
  });

  it("passes Paccurate's error status and body on, and counts it", async () => {
    ctx.sim.behavior.status = 500;
    const res = await postPack();
    expect(res.status).toBe(500);
    expect(JSON.parse((res.body as Buffer).toString())).toEqual({
      code: 500,
      message: 'simulated 500: internal server error',
    });
    expect(statsOf(res)).toMatchObject({ errorResponse: true, statusCode: '500', usedKeystem: '6UZlPsHAqp' });
    expect(ctx.proxy.events().at(-1)?.stats.errorResponse).toBe(true);
  });

  it("passes Paccurate's own 503 on without counting it: the client sends the request again", async () => {
    const before = ctx.proxy.events().length;
    ctx.sim.behavior.status = 503;
    const res = await postPack();
    expect(res.status).toBe(503);
    expect(JSON.parse((res.body as Buffer).toString())).toEqual({
      code: 503,
      message: 'simulated 503: service unavailable',
    });
    expect(statsOf(res)).toMatchObject({ errorResponse: true, statusCode: '503', usedKeystem: '6UZlPsHAqp' });
    expect(ctx.proxy.events()).toHaveLength(before);
  });

  it('answers {Message} with the stats header when no answer came', async () => {
    const impatient = createPackApp({
      paccurateUrl: ctx.sim.url,
      config: { PACCURATE_TIMEOUT_MS: 150 },
      logs,
    });
    try {
      ctx.sim.behavior.hang = true;
      const res = await postPack(impatient.app);
      expect(res.status).toBe(504);
      expect(JSON.parse((res.body as Buffer).toString())).toEqual({
        Message: expect.stringMatching(/150 ms/),
        Code: 'PACPROXY_ERR_UPSTREAM_TIMEOUT',
        code: 504,
        message: expect.stringMatching(/150 ms/),
      });
      expect(statsOf(res)).toMatchObject({ requestError: true, statusCode: '0' });
      expect(impatient.events()).toHaveLength(1);
    } finally {
      await impatient.close();
    }
  });

  it('refuses a chunked body over BODY_LIMIT while it streams, and counts it', async () => {
    const small = createPackApp({ paccurateUrl: ctx.sim.url, config: { BODY_LIMIT: '1kb' }, logs });
    const server = http.createServer(small.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({
          port,
          method: 'POST',
          path: '/pack',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        for (let i = 0; i < 8; i++) req.write(' '.repeat(512));
        req.end('{}');
      });
      expect(status).toBe(413);
      expect(small.events()[0]?.stats).toMatchObject({ requestError: true, statusCode: '0' });
    } finally {
      server.close();
      await small.close();
    }
  });

  it('never logs the API key', async () => {
    const from = logs.lines.length;
    expect((await postPack()).status).toBe(200);
    ctx.sim.behavior.status = 503;
    expect((await postPack()).status).toBe(503);
    const lines = logs.lines.slice(from);
    // the lines of these requests are there (they name the keystem), and none holds the key
    expect(lines.filter((line) => line.includes('6UZlPsHAqp')).length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).not.toContain('rest-of-the-key');
  });
});
