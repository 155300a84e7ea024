import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { REPO_ROOT } from './lib/child';

/**
 * A Paccurate stand-in many times faster than any proxy in front of it, so the bench measures
 * the proxy: it drains each request body and answers a fixed, realistic pack answer (the
 * fixture, compact: ~2.5 KB) whose `usedKeyStem` is the stem of the request's API key, as
 * Paccurate's is (the bench rotates keys, so traffic spreads over keystems and shards).
 *
 * Run alone: FIXED_UPSTREAM_PORT=8081 node dist/ops/bench/fixed-upstream.js
 */

const KEY_STEM_LENGTH = 10;

/** The fixture answer as bytes, for a key stem (answers are built once per stem). */
export function fixedAnswers(): (keyStem: string) => Buffer {
  const fixture = readFileSync(path.join(REPO_ROOT, 'test/fixtures/paccurate-pack-response.json'), 'utf8');
  const answer = JSON.parse(fixture) as Record<string, unknown>;
  const built = new Map<string, Buffer>();
  return (keyStem) => {
    let body = built.get(keyStem);
    if (!body) {
      // a bound on what a hostile caller can make it keep
      if (built.size >= 10_000) built.clear();
      body = Buffer.from(JSON.stringify({ ...answer, usedKeyStem: keyStem }));
      built.set(keyStem, body);
    }
    return body;
  };
}

export function createFixedUpstream(answerFor = fixedAnswers()): http.Server {
  return http.createServer((req, res) => {
    const key = /^\s*apikey\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1] ?? 'anonymous';
    req.resume();
    req.once('end', () => {
      const body = answerFor(key.slice(0, KEY_STEM_LENGTH));
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
