import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { parse } from 'yaml';
import { createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { parseExposition } from '../metrics/exposition';
import { freePort } from '../helpers/net';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { NodeProcess } from '../pipeline/support/worker-process';

/**
 * The operations pack against the real tools (Debian's `prometheus` package: promtool and the
 * Prometheus server) and a live proxy and worker, spawned from dist/, carrying traffic:
 * the rules check and pass their unit tests, both /metrics pass `promtool check metrics`, and a
 * real Prometheus scraping both runs every dashboard query and every rule expression without an
 * error, with data behind every dashboard panel.
 */
const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS = '/usr/bin/prometheus';
const root = path.resolve(__dirname, '../..');
const rulesFile = path.join(root, 'ops/prometheus/alerts.yml');
const dashboard = JSON.parse(readFileSync(path.join(root, 'ops/grafana/pacproxy.json'), 'utf8')) as {
  panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
};
const rules = (
  parse(readFileSync(rulesFile, 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
  }
).groups.flatMap((g) => g.rules);
const fixture = readFileSync(path.join(root, 'test/fixtures/paccurate-pack-request.json'), 'utf8');

const installed =
  spawnSync(PROMTOOL, ['--version']).status === 0 && spawnSync(PROMETHEUS, ['--version']).status === 0;
const describeWithPrometheus = installed ? describe : describe.skip;
if (!installed)
  // CI (.ci/run) installs the package, so these checks are skipped only on a machine without it
  console.warn(
    `SKIPPED prometheus-live: ${PROMTOOL} or ${PROMETHEUS} is missing (apt-get install prometheus)`,
  );

/** Grafana's built-in variables, as Grafana would fill them for a short range. */
const asGrafanaSends = (expr: string) => expr.replaceAll('$__rate_interval', '1m');

describeWithPrometheus('the operations pack with promtool and a real Prometheus', () => {
  it('promtool check rules accepts ops/prometheus/alerts.yml', () => {
    const run = spawnSync(PROMTOOL, ['check', 'rules', rulesFile], { encoding: 'utf8' });
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('promtool test rules passes ops/prometheus/alerts.test.yml, which covers every alert', () => {
    const tests = path.join(root, 'ops/prometheus/alerts.test.yml');
    const run = spawnSync(PROMTOOL, ['test', 'rules', tests], { encoding: 'utf8' });
    expect([run.status, run.stdout + run.stderr]).toEqual([0, expect.stringContaining('SUCCESS')]);
    const tested = new Set(
      (
        parse(readFileSync(tests, 'utf8')) as {
          tests: Array<{ alert_rule_test: Array<{ alertname: string }> }>;
        }
      ).tests
        .flatMap((t) => t.alert_rule_test)
        .map((c) => c.alertname),
    );
    expect(rules.map((r) => r.alert).filter((a) => !tested.has(a))).toEqual([]);
  });

  describe('against a live proxy and worker', () => {
    let dir: string;
    let sim: Simulator;
    let redis: RedisProcess;
    let proxy: NodeProcess;
    let worker: NodeProcess;
    let prometheus: ChildProcess;
    let prometheusOutput = '';
    let proxyUrl: string;
    let workerUrl: string;
    let prometheusUrl: string;
    let traffic: Promise<void>;
    let stopTraffic = false;
    let sent = 0;

    const text = async (url: string) => {
      const res = await request(url);
      if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
      return res.body.text();
    };
    const pack = async (i: number) => {
      // a few keystems (shards), the same body again and again (cache hits) and some fresh ones
      const body = i % 3 === 0 ? fixture.replace('{', `{"requestId": "r${i}", "random": true,`) : fixture;
      const res = await request(`${proxyUrl}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `apikey live-key-${i % 5}-rest-of-it` },
        body,
      });
      await res.body.dump();
      sent += 1;
    };
    /** An instant query through Prometheus' HTTP API; throws on anything but success. */
    const query = async (expr: string) => {
      const res = await request(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const answer = (await res.body.json()) as {
        status: string;
        error?: string;
        data: { result: unknown[] };
      };
      if (answer.status !== 'success') throw new Error(`${expr}: ${answer.error}`);
      return answer.data.result;
    };

    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-prometheus-live-'));
      sim = await createSimulator();
      redis = await RedisProcess.start();
      const [proxyPort, workerPort, prometheusPort] = [await freePort(), await freePort(), await freePort()];
      const env = {
        REDIS_URL: redis.url,
        SQLITE_PATH: path.join(dir, 'stats.db'),
        SHARDS: 4,
        FLUSH_INTERVAL_MS: 100,
        FLUSH_MAX_JOBS: 200,
        LEASE_TTL_MS: 3000,
      };
      proxy = NodeProcess.proxy('proxy', {
        ...env,
        PORT: proxyPort,
        PACCURATE_URL: sim.url,
        CACHE_TTL_SECONDS: 300,
        OUTBOX_DIR: path.join(dir, 'outbox'),
      });
      worker = NodeProcess.start('worker', 'dist/bin/worker.js', { ...env, METRICS_PORT: workerPort });
      proxyUrl = `http://127.0.0.1:${proxyPort}`;
      workerUrl = `http://127.0.0.1:${workerPort}`;
      for (const url of [proxyUrl, workerUrl])
        await waitFor(() => text(`${url}/metrics`).then(Boolean, () => false), {
          timeoutMs: 30_000,
          intervalMs: 200,
          what: `${url}/metrics`,
        }).catch((err: Error) => {
          throw new Error(`${err.message}\n${proxy.output()}\n${worker.output()}`);
        });
      // traffic flows for the whole test, as Prometheus scrapes
      traffic = (async () => {
        for (let i = 0; !stopTraffic; i++) {
          await Promise.all([pack(i), new Promise((r) => setTimeout(r, 20))]);
        }
      })();

      const config = {
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [rulesFile],
        scrape_configs: [
          { job_name: 'pacproxy-proxy', static_configs: [{ targets: [`127.0.0.1:${proxyPort}`] }] },
          { job_name: 'pacproxy-worker', static_configs: [{ targets: [`127.0.0.1:${workerPort}`] }] },
        ],
      };
      writeFileSync(path.join(dir, 'prometheus.yml'), JSON.stringify(config));
      prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
      prometheus = spawn(
        PROMETHEUS,
        [
          `--config.file=${path.join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
          `--web.listen-address=127.0.0.1:${prometheusPort}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const keep = (d: Buffer) => (prometheusOutput = (prometheusOutput + d.toString()).slice(-16_384));
      prometheus.stdout!.on('data', keep);
      prometheus.stderr!.on('data', keep);
      // two scrapes of each target with traffic in between: rates have data
      await waitFor(
        async () =>
          (await query('sum(rate(pacproxy_pack_requests_total[1m])) > 0').catch(() => [])).length > 0 &&
          (await query('sum(rate(pacproxy_events_processed_total[1m])) > 0').catch(() => [])).length > 0,
        { timeoutMs: 60_000, intervalMs: 500, what: 'Prometheus to scrape traffic from both targets' },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${prometheusOutput}`);
      });
    });

    afterAll(async () => {
      stopTraffic = true;
      await traffic;
      if (prometheus && prometheus.exitCode === null) {
        const exited = new Promise((r) => prometheus.once('exit', r));
        prometheus.kill('SIGTERM');
        await exited;
      }
      await proxy?.stop();
      await worker?.stop();
      await sim?.close();
      await redis?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('serves /metrics that promtool check metrics accepts without a word, on the proxy and the worker', async () => {
      expect(sent).toBeGreaterThan(0);
      for (const url of [proxyUrl, workerUrl]) {
        const exposition = await text(`${url}/metrics`);
        const run = spawnSync(PROMTOOL, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
        expect([url, run.status, run.stdout + run.stderr]).toEqual([url, 0, '']);
      }
    });

    it('has every metric the dashboard and the rules name on a live /metrics', async () => {
      const exported = new Set(
        [
          ...parseExposition(await text(`${proxyUrl}/metrics`)),
          ...parseExposition(await text(`${workerUrl}/metrics`)),
        ].map((s) => s.name),
      );
      const exprs = [
        ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
        ...rules.map((r) => r.expr),
      ];
      const named = new Set(exprs.flatMap((e) => [...e.matchAll(/\bpacproxy_[a-z_]+\b/g)].map((m) => m[0])));
      expect(named.size).toBeGreaterThan(10);
      expect([...named].filter((name) => !exported.has(name))).toEqual([]);
    });

    it('answers every dashboard query without an error, with data behind every panel', async () => {
      const panels = dashboard.panels.filter((p) => p.type !== 'row');
      expect(panels.length).toBeGreaterThan(10);
      const empty: string[] = [];
      for (const panel of panels) {
        for (const { expr } of panel.targets ?? []) {
          const result = await query(asGrafanaSends(expr));
          if (result.length === 0) empty.push(`${panel.title}: ${expr}`);
        }
      }
      expect(empty).toEqual([]);
    });

    it('evaluates every rule expression without an error, and has loaded every rule healthy', async () => {
      for (const rule of rules) await query(rule.expr);
      await waitFor(
        async () => {
          const res = await request(`${prometheusUrl}/api/v1/rules`);
          const answer = (await res.body.json()) as {
            data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
          };
          const loaded = answer.data.groups.flatMap((g) => g.rules);
          return loaded.length === rules.length && loaded.every((r) => r.health === 'ok' && !r.lastError);
        },
        { timeoutMs: 30_000, intervalMs: 500, what: 'every rule evaluated healthy' },
      );
      // with traffic flowing and a worker owning every shard, nothing fires
      const firing = (await query('ALERTS{alertstate="firing"}')) as Array<{ metric: { alertname: string } }>;
      expect(firing.map((a) => a.metric.alertname)).toEqual([]);
    });
  });
});
