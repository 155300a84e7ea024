import { readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';

const ORDER = readFileSync(path.join(__dirname, '../../fixtures/paccurate-pack-request.json'));

/** The API key whose keystem (its first 10 characters, as Paccurate echoes it) is `keystem`. */
export function apiKeyFor(keystem: string): string {
  return `${keystem}-not-a-real-secret`;
}

/** POST / through the proxy for each keystem in turn, `concurrency` at a time; answers the statuses. */
export async function sendPacks(
  port: number,
  keystems: readonly string[],
  concurrency = 16,
): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const lane = async () => {
    while (next < keystems.length) {
      const keystem = keystems[next++]!;
      const res = await request(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `apikey ${apiKeyFor(keystem)}` },
        body: ORDER,
      });
      await res.body.dump();
      statuses.push(res.statusCode);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return statuses;
}
