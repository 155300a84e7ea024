import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../../src/package-root';

export interface ChildOptions {
  /** shown in errors and tables */
  name: string;
  command: string;
  args?: string[];
  /** added to (and overriding) the bench's own environment */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** polled until true: the process is ready for load */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

const OUTPUT_TAIL_BYTES = 8192;

/** The repository root (the folder with package.json), from src or from dist alike. */
export const REPO_ROOT = packageRoot(__dirname);

/**
 * One process the bench starts and owns: spawned with its env, awaited until `ready()`, stopped
 * with SIGTERM (SIGKILL if it lingers). Its output goes to a temp file rather than through the
 * bench (which runs the load generator and must not spend CPU on a server's logs); the last few
 * KB are read back for error messages.
 */
export class ChildService {
  private exitCode: number | null | undefined = undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly logDir: string,
  ) {
    child.once('exit', (code) => {
      this.exitCode = code;
    });
  }

  static async start(options: ChildOptions): Promise<ChildService> {
    const logDir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-bench-output-'));
    const log = openSync(path.join(logDir, 'output.log'), 'a');
    const child = spawn(options.command, options.args ?? [], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const service = new ChildService(options.name, child, logDir);
    const timeoutMs = options.readyTimeoutMs ?? 20_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (service.exitCode !== undefined) {
        throw await service.failure(`exited (code ${service.exitCode}) before it was ready`);
      }
      if (await options.ready()) return service;
      if (Date.now() > deadline) throw await service.failure(`was not ready after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Runs a compiled script of this repository (e.g. dist/bin/pacproxy.js) with this Node, after
   * `nodeOptions` (those its npm script gives it: WORKER_NODE_OPTIONS for workers). With
   * BENCH_CPU_PROF=folder each such process writes a V8 CPU profile there when it exits (Node
   * refuses --cpu-prof in NODE_OPTIONS).
   */
  static startScript(
    script: string,
    options: Omit<ChildOptions, 'command' | 'cwd'> & { nodeOptions?: readonly string[] },
  ): Promise<ChildService> {
    const profile = process.env.BENCH_CPU_PROF;
    return ChildService.start({
      ...options,
      command: process.execPath,
      args: [
        ...(options.nodeOptions ?? []),
        ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profile, options.name)}`] : []),
        path.join(REPO_ROOT, script),
        ...(options.args ?? []),
      ],
      cwd: REPO_ROOT,
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} has no pid`);
    return this.child.pid;
  }

  /** The last few KB the process wrote to stdout and stderr. */
  output(): string {
    const text = readFileSync(path.join(this.logDir, 'output.log'));
    return text.subarray(Math.max(0, text.length - OUTPUT_TAIL_BYTES)).toString();
  }

  async stop(): Promise<void> {
    if (this.exitCode === undefined) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const lingering = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(lingering);
    }
    rmSync(this.logDir, { recursive: true, force: true });
  }

  /** Stops the process and returns an error carrying what it wrote. */
  private async failure(what: string): Promise<Error> {
    const output = this.output();
    await this.stop();
    return new Error(`${this.name} ${what}:\n${output}`);
  }
}
