import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pack } from '../../ops/paccurate-sim/packer';
import { packedStats } from '../../src/stats/request-stats';
import { packStatsSchema } from '../../src/stats/types';

/**
 * README's quick start shows the answer of its first `curl` (POST / against the simulator). That
 * answer is held to a real one: exactly the fields, in the order, of the statistics the proxy
 * answers (src/stats/request-stats.ts, the schema of POST / in the OpenAPI document), and the
 * values the simulator's packing of that request gives — all but the clock's (when, how long).
 */

const root = path.resolve(__dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

/** The quick start's first curl, and the JSON block right after it. */
function quickStart(): { curl: string; answer: Record<string, unknown> } {
  const section = readme.slice(readme.indexOf('### Try it in two minutes'));
  const match = /```bash\n([\s\S]*?\bcurl\b[\s\S]*?)```\s*```json\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README: no curl followed by a ```json block in "Try it in two minutes"');
  return { curl: match[1]!, answer: JSON.parse(match[2]!) as Record<string, unknown> };
}

describe("README's quick-start answer of POST /", () => {
  const { curl, answer } = quickStart();
  const apiKey = /Authorization: apikey (\S+?)'/.exec(curl)?.[1] ?? '';
  const body = /--data @(\S+)/.exec(curl)?.[1] ?? '';
  const real = packedStats(
    pack(JSON.parse(readFileSync(path.join(root, body), 'utf8')), {
      keyStem: apiKey.slice(0, 10),
      images: true,
    }),
    {
      keystem: apiKey.slice(0, 10),
      statusCode: '200',
      latency: 0,
      timeStamp: new Date(0).toISOString(),
      cacheHit: false,
    },
  );

  it('has exactly the fields of a real answer, in its order', () => {
    expect(apiKey).not.toBe('');
    expect(Object.keys(answer)).toEqual(Object.keys(real));
    expect(Object.keys(answer).sort()).toEqual(Object.keys(packStatsSchema.shape).sort());
    expect(packStatsSchema.safeParse(answer).success).toBe(true);
  });

  it("has the values the simulator's packing of that request gives (but the clock's)", () => {
    const clock = {
      timeStamp: expect.any(String),
      latency: expect.any(Number),
      packTime: expect.any(Number),
    };
    expect(answer).toEqual({ ...real, ...clock });
  });
});
