import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { REPO_ROOT } from './lib/child';

/**
 * A Paccurate stand-in many times faster than any proxy in front of it, so the bench measures
 * the proxy: it drains each request body and answers a fixed, realistic pack answer (the
 * fixture, compact: ~2.5 KB). `usedKeyStem` rotates over KEYSTEMS stems, request by request,
 * so the pipeline behind a proxy sees traffic spread over keystems and shards as in production.
 *
 * Run alone: FIXED_UPSTREAM_PORT=8081 node dist/ops/bench/fixed-upstream.js
 */

export const FIXED_UPSTREAM_KEYSTEMS = 64;

/** The answers, one per keystem (`fixed-0000` …), as bytes ready to write. */
export function fixedAnswers(keystems = FIXED_UPSTREAM_KEYSTEMS): Buffer[] {
  const fixture = readFileSync(path.join(REPO_ROOT, 'test/fixtures/paccurate-pack-response.json'), 'utf8');
  const answer = JSON.parse(fixture) as Record<string, unknown>;
  return Array.from({ length: keystems }, (_, i) =>
    Buffer.from(JSON.stringify({ ...answer, usedKeyStem: `fixed-${String(i).padStart(4, '0')}` })),
  );
}

export function createFixedUpstream(answers = fixedAnswers()): http.Server {
  let next = 0;
  return http.createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      const body = answers[next++ % answers.length]!;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
}

if (require.main === module) {
  const port = Number(process.env.FIXED_UPSTREAM_PORT ?? 8081);
  const server = createFixedUpstream();
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`fixed upstream on http://127.0.0.1:${port}/\n`);
  });
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}
