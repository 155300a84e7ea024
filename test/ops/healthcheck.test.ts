import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { defaultUrl, pid1Cmdline, runsWorker } from '../../ops/docker/healthcheck';

/**
 * What the image's HEALTHCHECK (no URL given) probes: a worker container its /metrics on
 * METRICS_PORT — a worker serves no /healthz — and any other its proxy's /healthz on PORT.
 * The script run as Docker runs it: healthcheck.process.test.ts.
 */

interface Service {
  command: string[];
  environment: Record<string, string | number>;
  healthcheck: { test: string[] };
}
const compose = parse(readFileSync(path.join(__dirname, '../../docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, Service> };

/** PID 1 of a container started with `init: true` (or `docker run --init`): docker-init, then the command. */
const underInit = (command: readonly string[]) => ['/sbin/docker-init', '--', ...command];

describe('the image healthcheck without a URL', () => {
  it("probes a worker container's /metrics on METRICS_PORT (9091 unless set)", () => {
    const worker = ['node', '--min-semi-space-size=16', '--no-memory-reducer', 'dist/bin/worker.js'];
    expect(defaultUrl({}, worker)).toBe('http://127.0.0.1:9091/metrics');
    expect(defaultUrl({ METRICS_PORT: '9300', PORT: '8081' }, underInit(worker))).toBe(
      'http://127.0.0.1:9300/metrics',
    );
    expect(runsWorker(['node', '/app/dist/bin/worker.js'])).toBe(true);
  });

  it("probes the proxy's /healthz on PORT (8080 unless set) for the proxy, both roles, or an unknown PID 1", () => {
    expect(defaultUrl({}, ['node', 'dist/bin/pacproxy.js', 'proxy'])).toBe('http://127.0.0.1:8080/healthz');
    expect(defaultUrl({ PORT: '9000', METRICS_PORT: '9300' }, ['node', 'dist/bin/pacproxy.js'])).toBe(
      'http://127.0.0.1:9000/healthz',
    );
    expect(defaultUrl({}, [])).toBe('http://127.0.0.1:8080/healthz');
    expect(runsWorker(['node', 'dist/bin/worker.json'])).toBe(false);
    expect(runsWorker(['node', 'dist/bin/coworker.js'])).toBe(false);
  });

  it("probes in compose's worker and proxy what their own healthchecks probe", () => {
    for (const name of ['worker', 'proxy']) {
      const s = compose.services[name]!;
      const env = Object.fromEntries(Object.entries(s.environment).map(([k, v]) => [k, String(v)]));
      const own = s.healthcheck.test.find((arg) => arg.startsWith('http://'));
      expect([name, defaultUrl(env, underInit(s.command))]).toEqual([name, own]);
    }
  });

  it("reads PID 1's command line, NUL-separated; none when it cannot be read", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-healthcheck-'));
    try {
      const file = path.join(dir, 'cmdline');
      writeFileSync(file, 'node\0--no-memory-reducer\0dist/bin/worker.js\0');
      expect(pid1Cmdline(file)).toEqual(['node', '--no-memory-reducer', 'dist/bin/worker.js']);
      expect(pid1Cmdline(path.join(dir, 'missing'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
