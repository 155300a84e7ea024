import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { CountingProxy } from '../helpers/counting-proxy';
import { waitFor } from '../helpers/wait';

/**
 * Request limits: bodies that cost the proxy more than they should, and clients that
 * hold connections. Each refused request is answered, says so, and is counted exactly once.
 */
const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');

/** A raw TCP client: what it received, and whether the server closed the connection. */
class RawClient {
  received = '';
  closed = false;
  bytesWritten = 0;
  readonly socket: Socket;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (d) => (this.received += d.toString('latin1')));
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => (this.closed = true));
  }

  write(text: string | Buffer): boolean {
    if (this.closed || this.socket.destroyed) return false;
    this.bytesWritten += Buffer.byteLength(text);
    return this.socket.write(text);
  }
}

describe('request limits', () => {
  let sim: Simulator;
  let proxy: CountingProxy;
  beforeAll(async () => {
    sim = await createSimulator();
    proxy = await CountingProxy.start({
      PACCURATE_URL: sim.url,
      CACHE_TTL_SECONDS: 60, // the cache key's canonical form is on the path
      BODY_LIMIT: '64kb',
      HEADERS_TIMEOUT_MS: 500,
      REQUEST_TIMEOUT_MS: 1500,
    });
  });
  afterAll(async () => {
    await proxy.close();
    await sim.close();
  });
  const port = () => Number(new URL(proxy.url).port);
  const post = (body: string) =>
    fetch(`${proxy.url}/`, { method: 'POST', headers: { authorization: 'apikey Limits-001-key' }, body });

  it.each([
    ['60 KB of [', () => '['.repeat(60 * 1024)],
    ['a valid JSON object 10,000 levels deep', () => `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`],
    ['itemSets nested 65 levels', () => `{"itemSets":${'['.repeat(65)}${']'.repeat(65)}}`],
  ])('refuses %s with 400 before parsing, and counts it once', async (_what, body) => {
    const text = body();
    expect(text.length).toBeLessThan(64 * 1024); // under BODY_LIMIT: the depth is what is refused
    const before = await proxy.counted();
    const res = await post(text);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ Code: 'PACPROXY_ERR_TOO_DEEP', requestError: true });
    expect(await proxy.countedAtLeast(before + 1)).toBe(before + 1);
  });

  it('still serves a request nested within the limit, through the cache', async () => {
    const before = await proxy.counted();
    const res = await post(fixture);
    expect(res.status).toBe(200);
    expect(await proxy.countedAtLeast(before + 1)).toBe(before + 1);
  });

  it('after a 413, stops reading a body that keeps coming and closes the connection', async () => {
    const before = await proxy.counted();
    const client = new RawClient(port());
    client.write(
      'POST /pack HTTP/1.1\r\nHost: x\r\nAuthorization: apikey Limits-001-key\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    const chunk = Buffer.alloc(64 * 1024, ' ');
    const frame = Buffer.concat([
      Buffer.from(`${chunk.length.toString(16)}\r\n`),
      chunk,
      Buffer.from('\r\n'),
    ]);
    // send as fast as the proxy takes it, up to 1 GB: it must stop taking long before
    await new Promise<void>((resolve) => {
      const pump = () => {
        while (!client.closed && client.bytesWritten < 1024 ** 3) {
          if (!client.write(frame)) return void client.socket.once('drain', pump);
        }
        resolve();
      };
      client.socket.once('close', () => resolve());
      pump();
    });
    await waitFor(() => client.closed, { what: 'the proxy to close the connection' });
    expect(client.received).toMatch(/^HTTP\/1\.1 413 /);
    expect(client.received).toContain('PACPROXY_ERR_BODY_TOO_LARGE');
    // what got in: twice BODY_LIMIT read, plus what the kernel buffers hold
    expect(client.bytesWritten).toBeLessThan(64 * 1024 * 1024);
    expect(await proxy.countedAtLeast(before + 1)).toBe(before + 1);
  });

  it('closes a connection whose headers trickle in past HEADERS_TIMEOUT_MS (slow loris)', async () => {
    const client = new RawClient(port());
    client.write('POST / HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => client.write('X-Slow: 1\r\n'), 100);
    try {
      await waitFor(() => client.closed, {
        timeoutMs: 20_000,
        what: 'the proxy to close the slow connection',
      });
    } finally {
      clearInterval(trickle);
    }
    expect(client.received === '' || /^HTTP\/1\.1 408 /.test(client.received)).toBe(true);
  });

  it('closes a connection whose body trickles in past REQUEST_TIMEOUT_MS', async () => {
    const client = new RawClient(port());
    client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{');
    const trickle = setInterval(() => client.write(' '), 100);
    try {
      await waitFor(() => client.closed, { timeoutMs: 20_000, what: 'the proxy to close the slow body' });
    } finally {
      clearInterval(trickle);
    }
  });

  it('refuses connections past MAX_CONNECTIONS', async () => {
    const capped = await CountingProxy.start({ PACCURATE_URL: sim.url, MAX_CONNECTIONS: 2 });
    const clients: RawClient[] = [];
    try {
      const capPort = Number(new URL(capped.url).port);
      for (let i = 0; i < 4; i++) clients.push(new RawClient(capPort));
      await waitFor(() => clients.filter((c) => c.closed).length === 2, { what: 'two connections refused' });
      // the two held connections still work
      const open = clients.filter((c) => !c.closed);
      for (const c of open) c.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitFor(() => open.every((c) => c.received.startsWith('HTTP/1.1 200')), { what: 'answers' });
    } finally {
      for (const c of clients) c.socket.destroy();
      await capped.close();
    }
  });
});
