import fc from 'fast-check';
import { CountingProxy } from '../helpers/counting-proxy';
import { boxesOf, HostileUpstream } from './support/hostile-upstream';

/**
 * The hardening property: whatever the client sends and whatever the upstream answers (valid
 * Paccurate shapes with hostile values), the proxy answers every request, with no 5xx but
 * 502/503/504, keeps running, counts every answered request exactly once, and stays bounded.
 */
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 53, 2 ** 63, -1, 0.5, 1e308, -0, Number.MAX_SAFE_INTEGER),
  fc.constant(null),
  fc.string({ maxLength: 8 }),
);
const hostileText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom('__proto__', 'constructor', '../x', 'a\r\nb', 'all', '$where', 'a.b', '', 'x'.repeat(600)),
);

const upstreamAnswer = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      usedKeyStem: fc.oneof(hostileText, fc.constant('FuzzStem01')),
      lenItems: hostileNumber,
      totalVolume: hostileNumber,
      totalVolumeUtilization: hostileNumber,
      boxes: fc.array(fc.oneof(hostileText, fc.integer()), { maxLength: 300 }).map(boxesOf),
    }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);

const upstream = fc.record({
  status: fc.constantFrom(200, 200, 200, 201, 400, 404, 500, 503),
  body: fc.oneof(
    { weight: 8, arbitrary: upstreamAnswer.map((a) => JSON.stringify(a)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.nat({ max: 200 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
  ),
});

const packRequest = fc.record({
  itemSets: fc.array(
    fc.record({
      refId: fc.oneof(fc.integer(), hostileText),
      quantity: hostileNumber,
      dimensions: fc.record({ x: hostileNumber, y: hostileNumber, z: hostileNumber }),
    }),
    { maxLength: 20 },
  ),
  boxTypes: fc.array(fc.record({ refId: hostileText }), { maxLength: 20 }),
  random: fc.boolean(),
});

const clientBody = fc.oneof(
  { weight: 6, arbitrary: packRequest.map((r) => JSON.stringify(r)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.nat({ max: 3000 }).map((n) => `{"itemSets":${'['.repeat(n)}${']'.repeat(n)}}`) },
);

const client = fc.record({
  route: fc.constantFrom('/', '/pack'),
  contentType: fc.constantFrom(
    undefined,
    'application/json',
    'text/plain;charset=UTF-8',
    'multipart/form-data',
    'application/json; charset=latin1',
  ),
  authorization: fc.constantFrom(undefined, 'apikey FuzzStem01-key', 'apikey Other-Fuzz-key', 'Bearer x'),
  body: clientBody,
});

describe('fuzzed requests and upstream answers', () => {
  let hostile: HostileUpstream;
  let proxy: CountingProxy;
  beforeAll(async () => {
    hostile = await HostileUpstream.start();
    proxy = await CountingProxy.start({
      PACCURATE_URL: hostile.url,
      CACHE_TTL_SECONDS: 60,
      BODY_LIMIT: '256kb',
    });
  });
  afterAll(async () => {
    await proxy.close();
    await hostile.close();
  });

  it('answers each with an allowed status and counts every answered one exactly once', async () => {
    let answered = 0;
    const rssBefore = process.memoryUsage().rss;
    await fc.assert(
      fc.asyncProperty(client, upstream, async (request, answer) => {
        hostile.behave = (_req, res) => {
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(answer.body);
        };
        const headers: Record<string, string> = {};
        if (request.contentType) headers['content-type'] = request.contentType;
        if (request.authorization) headers.authorization = request.authorization;
        const res = await fetch(`${proxy.url}${request.route}`, {
          method: 'POST',
          headers,
          body: request.body,
        });
        await res.text();
        // 5xx only as the proxy's own 502/503/504, or as Paccurate's status passed on
        const passedOn = answer.status >= 500 && res.status === answer.status;
        if (res.status >= 500 && !passedOn) expect([502, 503, 504]).toContain(res.status);
        // no 503 is counted, the proxy's own or Paccurate's passed on
        if (res.status !== 503) answered++;
      }),
      { numRuns: 150, seed: 12, endOnFailure: true },
    );
    expect((await fetch(`${proxy.url}/healthz`)).status).toBe(200);
    expect(await proxy.countedAtLeast(answered)).toBe(answered);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(300 * 1024 * 1024);
  });
});
