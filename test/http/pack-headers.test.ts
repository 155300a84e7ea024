import helmet from 'helmet';
import request from 'supertest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { headersOf } from '../../src/http/security-headers';
import { freePort } from '../helpers/net';
import { LogCapture, createPackApp, postJson, useSimulatedProxy } from './pack-harness';

const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');
const auth = 'apikey HdrsTest01-rest-of-the-key';

/** helmet's headers as a response carries them, lower-cased, x-powered-by removed. */
const HELMET = headersOf(helmet());

describe('pack answers: helmet headers written with the answer, routes matched directly', () => {
  const logs = new LogCapture();
  const ctx = useSimulatedProxy(logs);

  it('captures what helmet sets (and that it removes x-powered-by)', () => {
    expect(HELMET['content-security-policy']).toContain("default-src 'self'");
    expect(HELMET['x-content-type-options']).toBe('nosniff');
    expect(HELMET['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(Object.keys(HELMET)).not.toContain('x-powered-by');
  });

  it('gives POST / and POST /pack the same security headers as every other route', async () => {
    const health = await request(ctx.proxy.app).get('/healthz');
    const root = await postJson(ctx.proxy.app, '/', fixture, { authorization: auth });
    const pack = await postJson(ctx.proxy.app, '/pack', fixture, { authorization: auth });
    for (const res of [health, root, pack]) {
      expect(res.headers).toMatchObject(HELMET);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    expect(root.status).toBe(200);
    expect(pack.status).toBe(200);
  });

  it('keeps them on refusals, upstream errors and a failed upstream', async () => {
    const refused = await postJson(ctx.proxy.app, '/', '[]', { authorization: auth });
    expect(refused.status).toBe(422);
    ctx.sim.behavior.status = 500;
    const failed = await postJson(ctx.proxy.app, '/pack', fixture, { authorization: auth });
    expect(failed.status).toBe(500);
    const closed = createPackApp({ paccurateUrl: `http://127.0.0.1:${await freePort()}/`, logs });
    try {
      const unreachable = await postJson(closed.app, '/', fixture, { authorization: auth });
      expect(unreachable.status).toBe(502);
      for (const res of [refused, failed, unreachable]) expect(res.headers).toMatchObject(HELMET);
    } finally {
      await closed.close();
    }
  });

  it('matches the pack paths as Express would: any case, a trailing slash, a query string', async () => {
    const res = await request(ctx.proxy.app)
      .post('/PACK/?trace=1')
      .set('content-type', 'application/json')
      .set('authorization', auth)
      .send(fixture);
    expect(res.status).toBe(200);
    expect(res.headers['x-pacproxy-stats']).toBeDefined();
    const rootWithQuery = await request(ctx.proxy.app)
      .post('/?a=b')
      .set('content-type', 'application/json')
      .set('authorization', auth)
      .send(fixture);
    expect(rootWithQuery.body.usedKeystem).toBe('HdrsTest01');
  });

  it('leaves other methods and paths to the rest of the app', async () => {
    const before = ctx.proxy.events().length;
    const get = await request(ctx.proxy.app).get('/pack');
    expect(get.status).toBe(404);
    expect(get.body).toEqual({ Message: 'no route for GET /pack', Code: 'PACPROXY_ERR_NOT_FOUND' });
    expect(get.headers).toMatchObject(HELMET);
    const other = await request(ctx.proxy.app)
      .post('/packs')
      .set('content-type', 'application/json')
      .send(fixture);
    expect(other.status).toBe(404);
    expect(ctx.proxy.events().length).toBe(before);
  });
});
