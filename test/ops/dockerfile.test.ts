import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * No Docker engine runs here, so this is the check the Dockerfile gets: its instructions are
 * read stage by stage and the image's promises (multi-stage, production dependencies only,
 * non-root, a healthcheck, one image for both roles) are asserted, with every file it names.
 */

const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string;
  base: string;
  body: Instruction[];
}

/** Instructions with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

function stages(list: Instruction[]): Stage[] {
  const result: Stage[] = [];
  for (const ins of list) {
    if (ins.op === 'FROM') {
      const [base, as, name] = ins.args.split(/\s+/);
      result.push({
        base: base!,
        name: as?.toUpperCase() === 'AS' ? name! : String(result.length),
        body: [],
      });
    } else {
      result.at(-1)?.body.push(ins);
    }
  }
  return result;
}

const dockerfile = stages(instructions(read('Dockerfile')));
const byName = new Map(dockerfile.map((s) => [s.name, s]));
const runtime = dockerfile.at(-1)!;
const ops = (stage: Stage, op: string) => stage.body.filter((i) => i.op === op);

/** The stage a `COPY --from=X <path> …` in the runtime stage takes `path` from. */
function copiedFrom(source: string): Stage | undefined {
  const copy = ops(runtime, 'COPY').find((c) => c.args.split(/\s+/).includes(source));
  const from = /--from=(\S+)/.exec(copy?.args ?? '')?.[1];
  return from ? byName.get(from) : undefined;
}

/** Every RUN of a stage and of the stages it is built FROM. */
function runsOf(stage: Stage): string[] {
  const parent = byName.get(stage.base);
  return [...(parent ? runsOf(parent) : []), ...ops(stage, 'RUN').map((i) => i.args)];
}

/** The image a stage ultimately starts from. */
function imageOf(stage: Stage): string {
  const parent = byName.get(stage.base);
  return parent ? imageOf(parent) : stage.base;
}

/** The file a JSON-form CMD/HEALTHCHECK runs, mapped from dist/ back to its source. */
function scriptSource(args: string): string {
  const json = args.slice(args.indexOf('['));
  const argv = JSON.parse(json) as string[];
  expect(argv[0]).toBe('node');
  return argv[1]!.replace(/^dist\//, '').replace(/\.js$/, '.ts');
}

describe('Dockerfile', () => {
  it('is multi-stage and ships a slim Node 20 runtime', () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(3);
    expect(runtime.base).toBe('node:20-bookworm-slim');
    expect(runsOf(runtime).join(' ')).not.toMatch(/g\+\+|build-essential/);
  });

  it('copies in production node_modules, compiled (native better-sqlite3) on the same base image', () => {
    const deps = copiedFrom('/app/node_modules');
    expect(deps).toBeDefined();
    const runs = runsOf(deps!);
    expect(runs.filter((r) => /\bnpm (ci|install)\b/.test(r))).toEqual([
      expect.stringMatching(/npm ci --omit=dev/),
    ]);
    expect(runs.join(' ')).toMatch(/python3 make g\+\+/);
    expect(imageOf(deps!)).toBe(runtime.base);
    expect(runsOf(runtime).join(' ')).not.toMatch(/\bnpm (ci|install)\b/);
  });

  it('compiles dist/ in a stage of its own', () => {
    const build = copiedFrom('/app/dist');
    expect(build).toBeDefined();
    expect(runsOf(build!)).toContain('npm run build');
  });

  it('runs as a non-root user, with a healthcheck by node on a script the build compiles', () => {
    const user = ops(runtime, 'USER');
    expect(user).toHaveLength(1);
    expect(user[0]!.args).not.toMatch(/^(root|0)(:|$)/);
    const indexOfUser = runtime.body.indexOf(user[0]!);
    expect(runtime.body.findIndex((i) => i.op === 'CMD')).toBeGreaterThan(indexOfUser);

    const healthcheck = ops(runtime, 'HEALTHCHECK');
    expect(healthcheck).toHaveLength(1);
    const source = scriptSource(healthcheck[0]!.args);
    expect(existsSync(path.join(root, source))).toBe(true);
    expect(read(source)).toContain('/healthz');
  });

  it('starts the proxy by default, on port 8080', () => {
    expect(ops(runtime, 'EXPOSE').map((i) => i.args)).toEqual(['8080']);
    const cmd = ops(runtime, 'CMD');
    expect(cmd).toHaveLength(1);
    expect(JSON.parse(cmd[0]!.args)).toEqual(['node', 'dist/bin/pacproxy.js', 'proxy']);
    expect(existsSync(path.join(root, scriptSource(cmd[0]!.args)))).toBe(true);
  });

  it('copies from the build context only files that exist and are not ignored', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.env', '.git', 'data']));
    const sources = dockerfile
      .flatMap((s) => ops(s, 'COPY'))
      .filter((c) => !c.args.includes('--from='))
      .flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src']));
    for (const source of sources) {
      expect([source, existsSync(path.join(root, source))]).toEqual([source, true]);
      expect([source, ignored.includes(source)]).toEqual([source, false]);
    }
  });
});
