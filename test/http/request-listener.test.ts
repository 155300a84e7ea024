import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { testConfig } from '../../src/config';
import { createApp, requestListener } from '../../src/http/app';
import { MemorySink } from '../../src/queue/sink';
import type { Upstream } from '../../src/upstream/types';
import { LogCapture, useSimulatedProxy } from './pack-harness';

const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');
const auth = 'apikey Listener01-rest-of-the-key';

interface Served {
  url: string;
  close(): Promise<void>;
}

/** A real server on a free port for `listener`. */
async function serve(listener: http.RequestListener): Promise<Served> {
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function post(url: string, body: string): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: auth },
    body,
  });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

describe('requestListener: pack routes ahead of Express, everything else through it', () => {
  const logs = new LogCapture();
  const ctx = useSimulatedProxy(logs);
  let server: Served;
  beforeAll(async () => {
    server = await serve(requestListener(ctx.proxy.app));
  });
  afterAll(() => server.close());

  it('serves POST / and POST /pack directly, with the security headers', async () => {
    const root = await post(`${server.url}/`, fixture);
    expect(root.status).toBe(200);
    expect(root.json).toMatchObject({ usedKeystem: 'Listener01', totalItems: 1, statusCode: '200' });
    expect(root.headers.get('x-content-type-options')).toBe('nosniff');
    const pack = await post(`${server.url}/pack`, fixture);
    expect(pack.status).toBe(200);
    expect(pack.json).toMatchObject({ usedKeyStem: 'Listener01' });
    expect(
      ctx.proxy
        .events()
        .slice(-2)
        .map((e) => e.keystem),
    ).toEqual(['Listener01', 'Listener01']);
  });

  it('hands every other request to the Express app', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const missing = await fetch(`${server.url}/nowhere`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      Message: 'no route for POST /nowhere',
      Code: 'PACPROXY_ERR_NOT_FOUND',
    });
  });
});

describe('a pack request that fails unexpectedly', () => {
  const logs = new LogCapture();
  // an upstream with a bug: it throws something that is not an UpstreamError
  const broken: Upstream = {
    pack: async () => {
      throw new TypeError('cannot read properties of undefined');
    },
    close: async () => undefined,
  };
  const app = createApp({
    config: testConfig(),
    logger: logs.logger(),
    sink: new MemorySink(),
    upstream: broken,
  });
  let server: Served;
  beforeAll(async () => {
    server = await serve(requestListener(app));
  });
  afterAll(() => server.close());

  it('is answered 500 {Message} and logged, through the listener and through Express alike', async () => {
    const direct = await post(`${server.url}/`, fixture);
    expect(direct.status).toBe(500);
    expect(direct.json).toEqual({ Message: 'internal error', Code: 'PACPROXY_ERR_INTERNAL' });
    const viaExpress = await request(app)
      .post('/pack')
      .set('content-type', 'application/json')
      .set('authorization', auth)
      .send(fixture);
    expect(viaExpress.status).toBe(500);
    expect(viaExpress.body).toEqual({
      Message: 'internal error',
      Code: 'PACPROXY_ERR_INTERNAL',
      code: 500,
      message: 'internal error',
    });
    // each is logged as an error with the error itself (its message and stack)
    const errors = logs.records().filter((r) => r.level === 50);
    expect(errors).toHaveLength(2);
    for (const { err } of errors) {
      expect(err).toMatchObject({ type: 'TypeError', message: 'cannot read properties of undefined' });
      expect((err as { stack?: string }).stack).toContain('TypeError');
    }
    expect(logs.lines.join('\n')).not.toContain('rest-of-the-key');
  });
});
