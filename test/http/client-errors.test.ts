import express from 'express';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import request from 'supertest';
import { testConfig } from '../../src/config';
import { ERRORS } from '../../src/errors/registry';
import { createApp } from '../../src/http/app';
import { errorHandler } from '../../src/http/errors';
import { createProxyServer } from '../../src/http/server';
import { MemorySink } from '../../src/queue/sink';
import { SqliteStore } from '../../src/store/sqlite';
import { LogCapture } from '../helpers/log-capture';

/**
 * Client errors raised by Express itself (its router) or its static file server (send) keep
 * their 4xx status and leave as `{"Message", "Code"}` from the registry, logged as refused, not
 * as unhandled 500s. (Errors of Node's HTTP parser: raw-client-errors.process.test.ts.)
 */

const TOKEN = 'admin-secret-0123456789';
const MAIN_JS = 'console.log("dashboard");\n'.repeat(40);

describe('client errors raised by Express and its file server', () => {
  let dir: string;
  let store: SqliteStore;
  let log: LogCapture;
  let app: express.Express;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pacproxy-client-errors-'));
    store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
    const assets = path.join(dir, 'dashboard');
    mkdirSync(assets);
    writeFileSync(path.join(assets, 'main.js'), MAIN_JS);
    log = new LogCapture();
    app = createApp({
      config: testConfig({ ADMIN_TOKEN: TOKEN }),
      logger: log.logger(),
      sink: new MemorySink(),
      store,
      dashboardAssetsDir: assets,
    });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The answer is the registry's code with its status and meaning, logged at info, never as unhandled. */
  function expectRefused(res: request.Response, code: keyof typeof ERRORS): void {
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status: ERRORS[code].status,
      body: { Message: ERRORS[code].message, Code: code },
    });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const records = log.records();
    expect(records.filter((r) => Number(r.level) >= 40)).toEqual([]);
    expect(records).toContainEqual(expect.objectContaining({ level: 30, code, status: ERRORS[code].status }));
  }

  it.each([
    ['GET', '/api/keydata/%ZZ'],
    ['GET', '/api/keydata/%E0%A4%A'],
    ['GET', '/api/keydata/%ZZ/history'],
    ['DELETE', '/api/keydata/%ZZ'],
    ['GET', '/dashboard/keystem/%ZZ'],
  ])('answers %s %s (a route parameter that is not percent-encoding) 400', async (method, url) => {
    const res = await request(app)[method === 'GET' ? 'get' : 'delete'](url);
    expectRefused(res, 'PACPROXY_ERR_BAD_URL_ENCODING');
  });

  it('answers the bad encoding before authenticating a DELETE, with or without the token', async () => {
    const res = await request(app).delete('/api/keydata/%ZZ').set('Authorization', `Bearer ${TOKEN}`);
    expectRefused(res, 'PACPROXY_ERR_BAD_URL_ENCODING');
  });

  it.each([['/docs/assets/swagger-ui.css'], ['/dashboard/assets/main.js']])(
    'answers a range past the end of %s 416, as JSON with the Content-Range of the file',
    async (url) => {
      const res = await request(app).get(url).set('Range', 'bytes=99999999-');
      expectRefused(res, 'PACPROXY_ERR_RANGE_NOT_SATISFIABLE');
      expect(res.headers['content-range']).toMatch(/^bytes \*\/\d+$/);
      // nothing of the file it did not send
      expect(res.headers.etag).toBeUndefined();
      expect(res.headers['last-modified']).toBeUndefined();
    },
  );

  it.each([
    ['/docs/assets/swagger-ui.css', 'If-Match', '"x"'],
    ['/dashboard/assets/main.js', 'If-Match', '"x"'],
    ['/docs/assets/swagger-ui.css', 'If-Unmodified-Since', 'Mon, 01 Jan 2001 00:00:00 GMT'],
    ['/dashboard/assets/main.js', 'If-Unmodified-Since', 'Mon, 01 Jan 2001 00:00:00 GMT'],
  ])('answers %s with a failing %s 412', async (url, header, value) => {
    const res = await request(app).get(url).set(header, value);
    expectRefused(res, 'PACPROXY_ERR_PRECONDITION_FAILED');
    expect(res.headers.etag).toBeUndefined();
  });

  it.each([
    ['POST', '/docs/assets/swagger-ui.css'],
    ['DELETE', '/docs/assets/swagger-ui.css'],
    ['POST', '/dashboard/assets/main.js'],
  ])(
    'answers %s %s (a file, with another method than GET) as any unknown route: 404',
    async (method, url) => {
      const res = await request(app)[method === 'POST' ? 'post' : 'delete'](url);
      expect({ status: res.status, body: res.body as unknown }).toEqual({
        status: 404,
        body: { Message: `no route for ${method} ${url}`, Code: 'PACPROXY_ERR_NOT_FOUND' },
      });
    },
  );

  it('still serves the files and the ranges within them', async () => {
    const whole = await request(app).get('/dashboard/assets/main.js').expect(200);
    expect(whole.text).toBe(MAIN_JS);
    const part = await request(app).get('/dashboard/assets/main.js').set('Range', 'bytes=0-6').expect(206);
    expect(part.text).toBe('console');
    expect(log.records().filter((r) => Number(r.level) >= 40)).toEqual([]);
  });
});

describe('errorHandler, for errors that carry a status', () => {
  const appFailingWith = (err: unknown, log: LogCapture) => {
    const app = express();
    app.get('/x', (_req, _res, next) => next(err));
    app.use(errorHandler(log.logger()));
    return app;
  };

  it('keeps any other 4xx of a library under PACPROXY_ERR_CLIENT_ERROR, without its message', async () => {
    const log = new LogCapture();
    const err = Object.assign(new Error('cannot open /srv/secret/file'), {
      status: 405,
      statusCode: 405,
      headers: { Allow: 'GET, HEAD' },
    });
    const res = await request(appFailingWith(err, log)).get('/x');
    expect(res.status).toBe(405);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(res.body).toEqual({
      Message: 'request refused: Method Not Allowed',
      Code: 'PACPROXY_ERR_CLIENT_ERROR',
    });
    expect(log.records()).toEqual([
      expect.objectContaining({ level: 30, code: 'PACPROXY_ERR_CLIENT_ERROR', status: 405 }),
    ]);
  });

  it('reads statusCode when there is no status (a 404 of the file server is no route)', async () => {
    const log = new LogCapture();
    const res = await request(
      appFailingWith(Object.assign(new Error('ENOENT'), { statusCode: 404 }), log),
    ).get('/x');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ Code: 'PACPROXY_ERR_NOT_FOUND' });
    expect(log.records()).toEqual([expect.objectContaining({ level: 30, code: 'PACPROXY_ERR_NOT_FOUND' })]);
  });

  it.each([
    ['a 5xx', Object.assign(new Error('boom'), { status: 503 })],
    ['no status', new Error('boom')],
    ['a status that is no number', Object.assign(new Error('boom'), { status: '400' })],
  ])('still answers an error with %s 500 INTERNAL, logged as unhandled', async (_what, err) => {
    const log = new LogCapture();
    const res = await request(appFailingWith(err, log)).get('/x');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ Message: 'internal error', Code: 'PACPROXY_ERR_INTERNAL' });
    expect(log.records()).toEqual([expect.objectContaining({ level: 50, code: 'PACPROXY_ERR_INTERNAL' })]);
  });
});

describe("the proxy server's clientError listener, on a socket of its own", () => {
  const limits = {
    HEADERS_TIMEOUT_MS: 1000,
    REQUEST_TIMEOUT_MS: 1000,
    KEEP_ALIVE_TIMEOUT_MS: 1000,
    MAX_CONNECTIONS: 10,
  };
  const socketWith = (httpMessage?: object) => {
    const written: string[] = [];
    const socket = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        done();
      },
    });
    Object.assign(socket, { _httpMessage: httpMessage });
    return { socket, written };
  };
  const parseError = Object.assign(new Error('Parse Error: Invalid method'), { code: 'HPE_INVALID_METHOD' });

  it('answers a writable socket once, then destroys it', () => {
    const server = createProxyServer(() => undefined, limits);
    const { socket, written } = socketWith();
    server.emit('clientError', parseError, socket);
    expect(written.join('')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(socket.destroyed).toBe(true);
  });

  it.each([
    ['a connection reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), undefined],
    ['an answer already begun', parseError, { _headerSent: true, headersSent: true }],
  ])('only destroys the socket after %s', (_what, err, httpMessage) => {
    const server = createProxyServer(() => undefined, limits);
    const { socket, written } = socketWith(httpMessage);
    server.emit('clientError', err, socket);
    expect(written).toEqual([]);
    expect(socket.destroyed).toBe(true);
  });

  it('only destroys a socket that can no longer be written', () => {
    const server = createProxyServer(() => undefined, limits);
    const { socket, written } = socketWith();
    socket.end();
    server.emit('clientError', parseError, socket);
    expect(written).toEqual([]);
    expect(socket.destroyed).toBe(true);
  });
});
