import { connect } from 'node:net';
import { ERRORS } from '../../src/errors/registry';
import { CountingProxy } from '../helpers/counting-proxy';

/**
 * Requests Node's HTTP parser refuses, or that miss its deadlines, never reach Express: the
 * proxy (as startProxy composes it) still answers them `{"Message", "Code"}` with Node's
 * status, as JSON, and closes the connection. Checked on the wire, with a raw TCP client.
 */

interface RawAnswer {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
}

/** Sends `data` (in one write, or in the writes given), reads until the server closes the connection. */
function exchange(port: number, data: string | string[], { timeoutMs = 10_000 } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`no close within ${timeoutMs} ms; received ${Buffer.concat(chunks).toString('latin1')}`),
      );
    }, timeoutMs);
    socket.on('data', (d) => chunks.push(d));
    // the server may close with unread request bytes (a reset): what arrived before it counts
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const end = raw.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = (end < 0 ? raw : raw.slice(0, end)).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ statusLine, headers, body: end < 0 ? '' : raw.slice(end + 4) });
    });
    socket.on('connect', () => {
      for (const part of Array.isArray(data) ? data : [data]) socket.write(part);
    });
  });
}

/** The answer is the registry's code, with its status, as JSON, and says the connection closes. */
function expectAnswer(answer: RawAnswer, code: keyof typeof ERRORS): void {
  const { status } = ERRORS[code];
  expect(answer.statusLine).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(answer.headers.connection).toBe('close');
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  expect(JSON.parse(answer.body)).toEqual({ Message: ERRORS[code].message, Code: code });
}

describe("requests refused by Node's HTTP parser", () => {
  let proxy: CountingProxy;
  let port: number;
  beforeAll(async () => {
    proxy = await CountingProxy.start({ HEADERS_TIMEOUT_MS: 500, REQUEST_TIMEOUT_MS: 1500 });
    port = Number(new URL(proxy.url).port);
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('answers a 20 KB header 431', async () => {
    const answer = await exchange(
      port,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expectAnswer(answer, 'PACPROXY_ERR_HEADERS_TOO_LARGE');
  });

  it('answers 3,000 headers 431', async () => {
    const headers = Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('');
    const answer = await exchange(port, `GET /healthz HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);
    expectAnswer(answer, 'PACPROXY_ERR_HEADERS_TOO_LARGE');
  });

  it.each([
    ['a request line that is no request line', 'THIS IS NOT HTTP\r\n\r\n'],
    ['an unknown HTTP version', 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n'],
    ['a header without a colon', 'GET /healthz HTTP/1.1\r\nHost x\r\n\r\n'],
  ])('answers %s 400', async (_what, request) => {
    expectAnswer(await exchange(port, request), 'PACPROXY_ERR_BAD_HTTP_REQUEST');
  });

  it('answers headers that do not arrive within HEADERS_TIMEOUT_MS 408, as Node does', async () => {
    const answer = await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
    expectAnswer(answer, 'PACPROXY_ERR_REQUEST_TIMEOUT');
  });

  it('counts each refusal in pacproxy_http_refused_total by its code', async () => {
    const refused = async (code: string) => {
      const metric = await proxy.metrics.httpRefused.get();
      return metric.values.find((v) => v.labels.code === code)?.value ?? 0;
    };
    const before = await refused('PACPROXY_ERR_BAD_HTTP_REQUEST');
    await exchange(port, 'THIS IS NOT HTTP\r\n\r\n');
    await exchange(port, 'GET /healthz HTTP/1.1\r\nHost x\r\n\r\n');
    expect(await refused('PACPROXY_ERR_BAD_HTTP_REQUEST')).toBe(before + 2);
  });

  it('still serves a well-formed request on the same server', async () => {
    const answer = await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer.statusLine).toMatch(/^HTTP\/1\.1 200 /);
    expect(JSON.parse(answer.body)).toEqual({ status: 'ok' });
  });
});
