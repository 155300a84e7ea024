import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { freePort } from '../helpers/net';

/** The container healthcheck (dist/ops/docker/healthcheck.js), run as Docker runs it. */

const script = path.resolve(__dirname, '../../dist/ops/docker/healthcheck.js');

function exitCodeOf(args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env: { ...process.env, ...env } }, (err) =>
      resolve(err ? Number(err.code ?? -1) : 0),
    );
  });
}

describe('container healthcheck', () => {
  let server: http.Server;
  let port: number;
  const seen: string[] = [];

  beforeAll(async () => {
    port = await freePort();
    server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.statusCode = req.url === '/healthz' || req.url === '/metrics' ? 200 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("passes when the container's own /healthz on PORT answers 2xx", async () => {
    expect(await exitCodeOf([], { PORT: String(port) })).toBe(0);
    expect(seen).toContain('/healthz');
  });

  it('passes on any given URL that answers 2xx (a worker: /metrics)', async () => {
    expect(await exitCodeOf([`http://127.0.0.1:${port}/metrics`])).toBe(0);
  });

  it('fails on a non-2xx answer', async () => {
    expect(await exitCodeOf([`http://127.0.0.1:${port}/readyz`])).toBe(1);
  });

  it('fails when nothing listens', async () => {
    expect(await exitCodeOf([`http://127.0.0.1:${await freePort()}/healthz`])).toBe(1);
  });
});
