import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createFixedUpstream } from '../../ops/bench/fixed-upstream';
import { BENCH_API_KEYS, BENCH_ORDER } from '../../ops/bench/lib/order';

/** The bench's fast upstream must answer what Paccurate would, or the proxy's work is not measured. */
describe('bench fixed-answer upstream', () => {
  const server = createFixedUpstream();
  let url: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers the fixture, compact (~2.5 KB), with the stem of the request's API key", async () => {
    const fixture = JSON.parse(
      readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-response.json'), 'utf8'),
    ) as Record<string, unknown>;
    for (const key of BENCH_API_KEYS.slice(0, 3)) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `apikey ${key}` },
        body: BENCH_ORDER,
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text.length).toBeGreaterThan(2000);
      expect(text.length).toBeLessThan(3000);
      expect(JSON.parse(text)).toEqual({ ...fixture, usedKeyStem: key.slice(0, 10) });
    }
    expect(new Set(BENCH_API_KEYS.map((k) => k.slice(0, 10))).size).toBe(BENCH_API_KEYS.length);
  });
});
