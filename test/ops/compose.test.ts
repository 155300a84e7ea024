import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';
import { WORKER_NODE_OPTIONS } from '../../src/lifecycle/heap';

/**
 * No Docker engine runs here, so this is the check docker-compose.yml gets: the file is parsed
 * (with YAML merge keys, as compose reads it) and every claim the README makes about the stack
 * is asserted against it, and against the repository files it points at.
 */

const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

type DependsOn = Record<string, { condition: string; required?: boolean }>;
interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  ports?: string[];
  deploy?: { replicas?: number };
  depends_on?: DependsOn;
  healthcheck?: { test: string[] };
  profiles?: string[];
  init?: boolean;
  stop_grace_period?: string;
}

const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const service = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

/** The value compose uses when the variable is unset: `${X:-d}` -> d, `${X}` -> ''. */
function unsetDefaults(value: string | number): string {
  return String(value).replace(/\$\{\w+(?::?-([^}]*))?\}/g, (_m, fallback?: string) => fallback ?? '');
}
function environment(name: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(service(name).environment ?? {})) env[k] = unsetDefaults(v);
  return env;
}

/** `--flag value` in a command array. */
function flagValue(command: string[], flag: string): string | undefined {
  const i = command.indexOf(flag);
  return i >= 0 ? command[i + 1] : undefined;
}

/** dist/x/y.js is compiled from x/y.ts: the source must exist for the build to produce it. */
function sourceOf(distPath: string): string {
  return distPath.replace(/^dist\//, '').replace(/\.js$/, '.ts');
}

/** The named volume mounted at `target` (declared at the top level), or undefined. */
function namedVolumeAt(s: Service, target: string): string | undefined {
  const mount = (s.volumes ?? []).find((v) => v.split(':')[1] === target);
  const source = mount?.split(':')[0];
  return source && !source.startsWith('.') && source in (compose.volumes ?? {}) ? source : undefined;
}

/** The repository file bind-mounted at `target` (./path:target[:ro]), or undefined. */
function bindMountAt(s: Service, target: string): string | undefined {
  const mount = (s.volumes ?? []).find((v) => v.startsWith('./') && v.split(':')[1] === target);
  return mount?.split(':')[0];
}

/** Port a node healthcheck probes: of its http://127.0.0.1:PORT/… URL, or of its connect(PORT, …). */
function probedPort(s: Service): number {
  const test = s.healthcheck?.test ?? [];
  const url = test.find((a) => a.startsWith('http://'));
  if (url) return Number(new URL(url).port);
  const connect = test.map((a) => /connect\((\d+),/.exec(a)).find(Boolean);
  if (!connect) throw new Error(`healthcheck probes no port: ${test.join(' ')}`);
  return Number(connect[1]);
}

const envExampleNames = new Set([...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));

describe('docker-compose.yml', () => {
  it('declares the whole stack', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['grafana', 'lb', 'mongo', 'prometheus', 'proxy', 'redis', 'sim', 'worker'].sort(),
    );
  });

  it('runs Redis with AOF every second and noeviction, on a named volume, health-checked', () => {
    const redis = service('redis');
    expect(redis.image).toMatch(/^redis:7/);
    const command = redis.command ?? [];
    expect(command[0]).toBe('redis-server');
    expect(flagValue(command, '--appendonly')).toBe('yes');
    expect(flagValue(command, '--appendfsync')).toBe('everysec');
    expect(flagValue(command, '--maxmemory-policy')).toBe('noeviction');
    expect(namedVolumeAt(redis, '/data')).toBeDefined();
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('runs MongoDB as a one-node replica set on a named volume, initiated by its healthcheck', () => {
    const mongo = service('mongo');
    expect(mongo.image).toMatch(/^mongo:7/);
    expect(flagValue(mongo.command ?? [], '--replSet')).toBe('rs0');
    expect(namedVolumeAt(mongo, '/data/db')).toBeDefined();
    const scriptInContainer = (mongo.healthcheck?.test ?? []).find((a) => a.endsWith('.js'));
    expect(scriptInContainer).toBeDefined();
    const scriptInRepo = bindMountAt(mongo, scriptInContainer!);
    expect(scriptInRepo && existsSync(path.join(root, scriptInRepo))).toBe(true);
  });

  it('points the pipeline at that replica set, the service name being the member host', () => {
    const url = new URL(environment('worker').MONGODB_URL!);
    expect(url.hostname).toBe('mongo');
    expect(url.searchParams.get('replicaSet')).toBe(flagValue(service('mongo').command ?? [], '--replSet'));
  });

  it('runs two proxies and two workers from the one image, with the MongoDB store', () => {
    const proxy = service('proxy');
    const worker = service('worker');
    for (const s of [proxy, worker]) {
      expect(s.deploy?.replicas).toBe(2);
      expect(s.build).toBe('.');
      expect(s.init).toBe(true);
      expect(environment(s === proxy ? 'proxy' : 'worker').STORE).toBe('mongodb');
    }
    expect(proxy.image).toBe(worker.image);
    expect(proxy.command).toEqual(['node', 'dist/bin/pacproxy.js', 'proxy']);
    expect(worker.command).toEqual(['node', ...WORKER_NODE_OPTIONS, 'dist/bin/worker.js']);
  });

  it('gives Pacproxy processes only settings that exist, and a configuration that loads', () => {
    for (const name of ['proxy', 'worker']) {
      const env = environment(name);
      expect(Object.keys(env).filter((k) => !envExampleNames.has(k))).toEqual([]);
      const config = loadConfig(env);
      expect(config.STORE).toBe('mongodb');
      expect(config.REDIS_URL).toBe('redis://redis:6379');
    }
    expect(service('proxy').environment?.PACCURATE_URL).toBe('${PACCURATE_URL:-https://api.paccurate.io/}');
  });

  it('gives every Pacproxy process more stop grace than its SHUTDOWN_TIMEOUT_MS', () => {
    const seconds = (d: string | undefined) => Number(/^(\d+)s$/.exec(d ?? '')?.[1] ?? 10); // compose's default: 10s
    for (const name of ['proxy', 'worker', 'sim']) {
      const timeoutMs = loadConfig(environment(name)).SHUTDOWN_TIMEOUT_MS;
      expect(seconds(service(name).stop_grace_period) * 1000).toBeGreaterThan(timeoutMs);
    }
  });

  it('starts every command and healthcheck script from a file the build compiles', () => {
    const scripts = Object.values(services).flatMap((s) =>
      [...(s.command ?? []), ...(s.healthcheck?.test ?? [])].filter((a) => a.startsWith('dist/')),
    );
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts)
      expect([script, existsSync(path.join(root, sourceOf(script)))]).toEqual([script, true]);
  });

  it('health-checks every service on the port it serves', () => {
    for (const [name, s] of Object.entries(services)) {
      expect([name, (s.healthcheck?.test ?? []).length > 1]).toEqual([name, true]);
    }
    expect(probedPort(service('proxy'))).toBe(Number(environment('proxy').PORT));
    expect(probedPort(service('worker'))).toBe(Number(environment('worker').METRICS_PORT));
    expect(probedPort(service('sim'))).toBe(Number(environment('sim').SIM_PORT));
  });

  it('comes up in order: every dependency exists, is health-checked, and is started by a plain `up`', () => {
    let edges = 0;
    for (const [name, s] of Object.entries(services)) {
      for (const [target, dep] of Object.entries(s.depends_on ?? {})) {
        edges += 1;
        const t = service(target);
        expect([name, target, dep.condition]).toEqual([name, target, 'service_healthy']);
        expect(t.healthcheck).toBeDefined();
        // a dependency behind a profile is absent from `docker compose up`: it must be optional
        if (t.profiles) expect([name, target, dep.required]).toEqual([name, target, false]);
      }
    }
    expect(edges).toBeGreaterThanOrEqual(6);
    expect(Object.keys(service('proxy').depends_on ?? {})).toEqual(
      expect.arrayContaining(['redis', 'mongo']),
    );
    expect(Object.keys(service('worker').depends_on ?? {})).toEqual(
      expect.arrayContaining(['redis', 'mongo']),
    );
  });

  it('keeps the simulator behind the sim profile, and only it', () => {
    const profiled = Object.entries(services).filter(([, s]) => s.profiles);
    expect(profiled.map(([name]) => name)).toEqual(['sim']);
    expect(service('sim').profiles).toEqual(['sim']);
    // only settings the simulator reads, and listening beyond its container's loopback
    const simSettings = read(sourceOf(service('sim').command![1]!));
    for (const name of Object.keys(environment('sim')))
      expect([name, simSettings.includes(name)]).toEqual([name, true]);
    expect(environment('sim').SIM_HOST).toBe('0.0.0.0');
    // the documented way to use it names the simulator's real address
    expect(composeText).toContain(
      `PACCURATE_URL=http://sim:${environment('sim').SIM_PORT}/ docker compose --profile sim up`,
    );
  });

  it('publishes 8080 through a load balancer that spreads over every proxy replica', () => {
    const lb = service('lb');
    expect(lb.ports).toEqual(['${PACPROXY_PORT:-8080}:8080']);
    const conf = readFileSync(path.join(root, bindMountAt(lb, '/etc/nginx/nginx.conf')!), 'utf8');
    expect(conf).toMatch(/listen 8080;/);
    // resolving through a variable makes nginx re-resolve and use every replica's address
    const target = /set \$pacproxy http:\/\/(\w+):(\d+);/.exec(conf);
    expect(target?.[1]).toBe('proxy');
    expect(Number(target?.[2])).toBe(Number(environment('proxy').PORT));
    expect(conf).toMatch(/proxy_pass \$pacproxy;/);
    expect(conf).toMatch(/resolver 127\.0\.0\.11/);
    // lb, prometheus and grafana only
    expect(Object.values(services).filter((s) => s.ports).length).toBe(3);
  });

  it('keeps /metrics off the published port, and has the proxies trust the one nginx in front', () => {
    const conf = readFileSync(path.join(root, bindMountAt(service('lb'), '/etc/nginx/nginx.conf')!), 'utf8');
    const metrics = /location = \/metrics \{([\s\S]*?)\n\s*\}/.exec(conf)?.[1] ?? '';
    expect(metrics).toMatch(/return 404 '\{"Message":"no such route","Code":"PACPROXY_ERR_NOT_FOUND"\}';/);
    expect(metrics).not.toMatch(/proxy_pass/);
    expect(conf).toMatch(/proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
    // room for the largest X-Pacproxy-Stats header (every box type listed)
    expect(Number(/proxy_buffer_size (\d+)k;/.exec(conf)?.[1])).toBeGreaterThanOrEqual(32);
    expect(Number(environment('proxy').TRUST_PROXY)).toBe(1);
  });

  it('builds or pulls every service from something that exists', () => {
    for (const [name, s] of Object.entries(services)) {
      expect([name, Boolean(s.image || s.build)]).toEqual([name, true]);
      if (s.build) expect(existsSync(path.join(root, String(s.build), 'Dockerfile'))).toBe(true);
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('.')) expect([v, existsSync(path.join(root, source))]).toEqual([v, true]);
        else expect([v, source in compose.volumes]).toEqual([v, true]);
      }
    }
  });
});

describe(".env.example's word on docker compose", () => {
  // compose reads .env only to fill in the file's ${VAR}s: what the header says reaches compose
  const header = read('.env.example').split('\n');
  const said = header.slice(
    0,
    header.findIndex((line) => !line.startsWith('#')),
  );
  const fromCompose = said.slice(said.findIndex((line) => line.includes('docker compose')));
  const listed = new Set(fromCompose.join('\n').match(/\b[A-Z][A-Z0-9_]{2,}\b/g) ?? []);
  const interpolated = new Set([...composeText.matchAll(/\$\{(\w+)/g)].map((m) => m[1]));

  it('lists exactly the variables docker-compose.yml interpolates', () => {
    expect(fromCompose.length).toBeGreaterThan(0);
    expect([...listed].sort()).toEqual([...interpolated].sort());
  });

  it('passes each listed Pacproxy setting to every proxy and worker', () => {
    const settings = [...listed].filter((name) => envExampleNames.has(name));
    expect(settings.length).toBeGreaterThan(0);
    for (const name of settings) {
      for (const s of ['proxy', 'worker']) {
        expect([s, name, String(service(s).environment?.[name])]).toEqual([
          s,
          name,
          expect.stringMatching(new RegExp(`^\\$\\{${name}[:}]`)),
        ]);
      }
    }
  });
});

describe('ops/prometheus/prometheus.yml', () => {
  const prometheus = service('prometheus');
  const config = parse(read(bindMountAt(prometheus, '/etc/prometheus/prometheus.yml') ?? 'missing')) as {
    rule_files: string[];
    scrape_configs: Array<{
      job_name: string;
      dns_sd_configs?: Array<{ names: string[]; type: string; port: number }>;
    }>;
  };
  const discovered = new Map<string, number>();
  for (const job of config.scrape_configs) {
    for (const sd of job.dns_sd_configs ?? []) for (const n of sd.names) discovered.set(n, sd.port);
  }

  it('is the file the prometheus service mounts', () => {
    expect(prometheus.image).toMatch(/^prom\/prometheus:/);
    expect(bindMountAt(prometheus, '/etc/prometheus/prometheus.yml')).toBe('./ops/prometheus/prometheus.yml');
  });

  it('loads the alert rules, mounted beside it where rule_files finds them', () => {
    expect(config.rule_files).toEqual(['alerts.yml']);
    expect(bindMountAt(prometheus, '/etc/prometheus/alerts.yml')).toBe('./ops/prometheus/alerts.yml');
  });

  it('finds every proxy and worker replica by DNS, on the ports their /metrics are served', () => {
    for (const name of discovered.keys()) expect(services[name]).toBeDefined();
    expect(discovered.get('proxy')).toBe(Number(environment('proxy').PORT));
    expect(discovered.get('worker')).toBe(Number(environment('worker').METRICS_PORT));
    const pacproxyServices = Object.entries(services)
      .filter(([, s]) => s.command?.[0] === 'node' && s.command[1] !== 'dist/bin/simulator.js')
      .map(([name]) => name);
    expect(pacproxyServices.sort()).toEqual(['proxy', 'worker']);
    for (const name of pacproxyServices) expect(discovered.has(name)).toBe(true);
  });
});

describe('grafana service', () => {
  const grafana = service('grafana');
  const provisioning = bindMountAt(grafana, '/etc/grafana/provisioning')!;
  const provisioned = <T>(file: string) => parse(read(path.join(provisioning, file))) as T;

  it('publishes Grafana on GRAFANA_PORT (3000) after Prometheus is healthy', () => {
    expect(grafana.image).toMatch(/^grafana\/grafana:/);
    expect(grafana.ports).toEqual(['${GRAFANA_PORT:-3000}:3000']);
    expect(grafana.depends_on?.prometheus?.condition).toBe('service_healthy');
  });

  it("provisions the compose Prometheus as its default datasource, on Prometheus' port", () => {
    const { datasources } = provisioned<{
      datasources: Array<{ type: string; url: string; isDefault: boolean }>;
    }>('datasources/prometheus.yml');
    expect(datasources).toEqual([expect.objectContaining({ type: 'prometheus', isDefault: true })]);
    const url = new URL(datasources[0]!.url);
    expect(url.hostname).toBe('prometheus');
    expect(service('prometheus').ports).toEqual([`\${PROMETHEUS_PORT:-9090}:${url.port}`]);
  });

  it('provisions the Pacproxy dashboard from ops/grafana/pacproxy.json, and opens it at home', () => {
    const { providers } = provisioned<{ providers: Array<{ type: string; options: { path: string } }> }>(
      'dashboards/pacproxy.yml',
    );
    const dir = providers[0]!.options.path;
    const mounted = (grafana.volumes ?? []).find((v) => v.split(':')[1]?.startsWith(`${dir}/`));
    expect(mounted?.split(':')[0]).toBe('./ops/grafana/pacproxy.json');
    expect(grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(mounted?.split(':')[1]);
    const dashboard = JSON.parse(read('ops/grafana/pacproxy.json')) as { uid: string; panels: unknown[] };
    expect(dashboard.uid).toBe('pacproxy');
    expect(dashboard.panels.length).toBeGreaterThan(10);
  });
});

describe('ops/mongo/init-replica-set.js (run with stand-ins for mongosh, as no mongod runs here)', () => {
  const script = read('ops/mongo/init-replica-set.js');

  /** Runs the script against a node in the given state; returns what it did. */
  function runAgainst(node: { initialized: boolean; primary: boolean; statusError?: string }) {
    const did = { initiated: [] as unknown[], exitCode: 0 };
    const rs = {
      status: () => {
        if (node.statusError)
          throw Object.assign(new Error(node.statusError), { codeName: node.statusError });
        if (!node.initialized)
          throw Object.assign(new Error('no replset config'), { codeName: 'NotYetInitialized' });
        return { ok: 1 };
      },
      initiate: (config: unknown) => did.initiated.push(config),
    };
    const db = { hello: () => ({ isWritablePrimary: node.primary }) };
    vm.runInNewContext(script, { rs, db, quit: (code: number) => (did.exitCode = code) });
    return did;
  }

  it('initiates the replica set the compose file names, with the service as its member, then waits', () => {
    const did = runAgainst({ initialized: false, primary: false });
    expect(did.initiated).toEqual([
      {
        _id: flagValue(service('mongo').command ?? [], '--replSet'),
        members: [{ _id: 0, host: 'mongo:27017' }],
      },
    ]);
    expect(did.exitCode).toBe(1); // not healthy until this node is primary
  });

  it('is healthy, and initiates nothing, once the node is primary', () => {
    expect(runAgainst({ initialized: true, primary: true })).toEqual({ initiated: [], exitCode: 0 });
  });

  it('fails on any other error rather than initiating', () => {
    expect(() => runAgainst({ initialized: true, primary: true, statusError: 'Unauthorized' })).toThrow(
      'Unauthorized',
    );
  });
});
