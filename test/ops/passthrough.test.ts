import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPassthrough } from '../../ops/bench/passthrough';
import { freePort } from '../helpers/net';

/** The bench's bare pass-through proxy must really forward, or its figures mean nothing. */

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}
const close = (server: http.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('bench pass-through proxy', () => {
  let upstream: http.Server;
  let proxy: http.Server;
  let proxyUrl: string;

  beforeAll(async () => {
    // a real upstream that answers with what it received
    upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(207, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        res.end(
          JSON.stringify({
            method: req.method,
            path: req.url,
            authorization: req.headers.authorization,
            bytes: body.length,
            head: body.subarray(0, 20).toString(),
          }),
        );
      });
    });
    const upstreamPort = await listen(upstream);
    proxy = createPassthrough(`http://127.0.0.1:${upstreamPort}/v1/pack?x=1`);
    proxyUrl = `http://127.0.0.1:${await listen(proxy)}/`;
  });
  afterAll(async () => {
    proxy.closeAllConnections();
    await close(proxy);
    upstream.closeAllConnections();
    await close(upstream);
  });

  it('forwards method, body and Authorization to the upstream URL and streams back status, headers and body', async () => {
    const body = JSON.stringify({ itemSets: [], filler: 'x'.repeat(1_000_000) });
    const res = await fetch(proxyUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'apikey abc' },
      body,
    });
    expect(res.status).toBe(207);
    expect(res.headers.get('x-upstream')).toBe('yes');
    expect(await res.json()).toEqual({
      method: 'POST',
      path: '/v1/pack?x=1',
      authorization: 'apikey abc',
      bytes: Buffer.byteLength(body),
      head: body.slice(0, 20),
    });
  });

  it('answers 502 when the upstream is unreachable', async () => {
    const dead = createPassthrough(`http://127.0.0.1:${await freePort()}/`);
    const url = `http://127.0.0.1:${await listen(dead)}/`;
    try {
      const res = await fetch(url, { method: 'POST', body: '{}' });
      expect(res.status).toBe(502);
    } finally {
      dead.closeAllConnections();
      await close(dead);
    }
  });
});
