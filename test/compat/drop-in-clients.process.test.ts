import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSimulator, DEFAULT_BEHAVIOR, type Simulator } from '../../ops/paccurate-sim/simulator';
import { STATS_HEADER } from '../../src/http/pack-flow';
import { CountingProxy } from '../helpers/counting-proxy';

/**
 * Paccurate's own clients pointed at the proxy (a drop-in replacement): each request below is byte for byte
 * what that client sends. Paccurate reads any JSON body whatever its Content-Type, so the proxy
 * must too, and count each request once.
 */
const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');
const auth = 'apikey DropInKey-0123456789-secret';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends exactly these headers (and Host) and this body, as a given client would. */
function send(
  url: string,
  headers: Record<string, string>,
  body: string,
  method = 'POST',
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Each client's request as it goes on the wire. */
const CLIENTS: Array<[string, (url: string) => Promise<RawAnswer>]> = [
  [
    // node-fetch 2 with a string body and only Authorization set (a published Paccurate client)
    'node-fetch 2',
    (url) =>
      send(
        url,
        {
          Authorization: auth,
          Accept: '*/*',
          'Content-Type': 'text/plain;charset=UTF-8',
          'Content-Length': String(Buffer.byteLength(fixture)),
          'User-Agent': 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
          'Accept-Encoding': 'gzip,deflate',
          Connection: 'close',
        },
        fixture,
      ),
  ],
  [
    // Node's own fetch: a string body goes out as text/plain;charset=UTF-8
    "Node's fetch",
    async (url) => {
      const res = await fetch(url, { method: 'POST', headers: { authorization: auth }, body: fixture });
      return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
    },
  ],
  [
    // curl -d @request.json: the form type, and the file's line breaks stripped
    'curl -d @file',
    (url) => {
      const body = fixture.replace(/[\r\n]/g, '');
      return send(
        url,
        {
          'User-Agent': 'curl/8.5.0',
          Accept: '*/*',
          Authorization: auth,
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': String(Buffer.byteLength(body)),
        },
        body,
      );
    },
  ],
  [
    'a client that sets no Content-Type',
    (url) =>
      send(url, { Authorization: auth, 'Content-Length': String(Buffer.byteLength(fixture)) }, fixture),
  ],
  [
    'application/json with a charset',
    (url) => send(url, { Authorization: auth, 'Content-Type': 'application/json; charset=utf-8' }, fixture),
  ],
  [
    'a +json type',
    (url) => send(url, { Authorization: auth, 'Content-Type': 'application/vnd.api+json' }, fixture),
  ],
];

describe("Paccurate's clients through the proxy", () => {
  let sim: Simulator;
  let proxy: CountingProxy;
  beforeAll(async () => {
    sim = await createSimulator();
    proxy = await CountingProxy.start({ PACCURATE_URL: sim.url });
  });
  afterAll(async () => {
    await proxy.close();
    await sim.close();
  });
  beforeEach(() => {
    Object.assign(sim.behavior, DEFAULT_BEHAVIOR);
  });

  describe.each(CLIENTS)('%s', (_client, post) => {
    it("POST /pack: 200, Paccurate's answer, counted once", async () => {
      const before = await proxy.counted();
      const res = await post(`${proxy.url}/pack`);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ usedKeyStem: expect.any(String), lenItems: 1 });
      expect(JSON.parse(String(res.headers[STATS_HEADER.toLowerCase()]))).toMatchObject({
        statusCode: '200',
      });
      expect(await proxy.countedAtLeast(before + 1)).toBe(before + 1);
    });

    it('POST /: 200, the stats, counted once', async () => {
      const before = await proxy.counted();
      const res = await post(`${proxy.url}/`);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ statusCode: '200', totalItems: 1, requestError: false });
      expect(await proxy.countedAtLeast(before + 1)).toBe(before + 1);
    });
  });

  describe("a client that reads Paccurate's error shape gets code and message from every proxy-made /pack error", () => {
    const cases: Array<[string, () => Promise<RawAnswer>, number]> = [
      ['not JSON', () => send(`${proxy.url}/pack`, { Authorization: auth }, 'itemSets=1'), 400],
      [
        'too large',
        () => send(`${proxy.url}/pack`, { Authorization: auth }, ' '.repeat(11 * 1024 * 1024)),
        413,
      ],
      [
        'multipart',
        () => send(`${proxy.url}/pack`, { 'Content-Type': 'multipart/form-data; boundary=b' }, fixture),
        415,
      ],
      ['not a pack request', () => send(`${proxy.url}/pack`, { Authorization: auth }, '{"a":1}'), 422],
      [
        'a latin-1 body',
        () => send(`${proxy.url}/pack`, { 'Content-Type': 'text/plain; charset=latin1' }, fixture),
        415,
      ],
      [
        'Paccurate answering HTML',
        () => {
          sim.behavior.html = true;
          return send(`${proxy.url}/pack`, { Authorization: auth }, fixture);
        },
        502,
      ],
    ];
    it.each(cases)('%s', async (_what, post, status) => {
      const before = await proxy.counted();
      const res = await post();
      expect(res.status).toBe(status);
      const body = JSON.parse(res.body);
      expect(body).toEqual({
        Message: expect.any(String),
        Code: expect.stringMatching(/^PACPROXY_ERR_/),
        code: status,
        message: body.Message,
      });
      expect(body.message.length).toBeGreaterThan(0);
      expect(await proxy.countedAtLeast(before + 1)).toBe(before + 1);
    });
  });

  it("passes Paccurate's own error answer through byte for byte", async () => {
    sim.behavior.status = 400;
    const res = await send(`${proxy.url}/pack`, { Authorization: auth }, fixture);
    expect(res.status).toBe(400);
    expect(res.body).toBe(sim.lastAnswer?.body.toString());
  });

  it('GET / names the service and links onwards; JSON when asked', async () => {
    const page = await fetch(`${proxy.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toMatch(/Pacproxy \d+\.\d+\.\d+/);
    for (const href of ['/dashboard', '/docs', '/admin/queues', '/metrics'])
      expect(html).toContain(`href="${href}"`);
    const json = await fetch(`${proxy.url}/`, { headers: { accept: 'application/json' } });
    expect(await json.json()).toMatchObject({
      service: 'pacproxy',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      links: expect.arrayContaining([expect.objectContaining({ href: '/metrics' })]),
    });
  });
});
