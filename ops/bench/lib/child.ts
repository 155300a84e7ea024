import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

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
export const REPO_ROOT = ((dir: string): string => {
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})(__dirname);

/**
 * One process the bench starts and owns: spawned with its env, awaited until `ready()`, stopped
 * with SIGTERM (SIGKILL if it lingers). Its output is kept (the last few KB) for error messages.
 */
export class ChildService {
  private tail = '';
  private exitCode: number | null | undefined = undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString()).slice(-OUTPUT_TAIL_BYTES);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code) => {
      this.exitCode = code;
    });
  }

  static async start(options: ChildOptions): Promise<ChildService> {
    const child = spawn(options.command, options.args ?? [], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ChildService(options.name, child);
    const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
    for (;;) {
      if (service.exitCode !== undefined) {
        throw new Error(
          `${options.name} exited (code ${service.exitCode}) before it was ready:\n${service.tail}`,
        );
      }
      if (await options.ready()) return service;
      if (Date.now() > deadline) {
        await service.stop();
        throw new Error(
          `${options.name} was not ready after ${options.readyTimeoutMs ?? 20_000} ms:\n${service.tail}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Runs a compiled script of this repository (e.g. dist/src/main.js) with this Node. */
  static startScript(script: string, options: Omit<ChildOptions, 'command' | 'cwd'>): Promise<ChildService> {
    return ChildService.start({
      ...options,
      command: process.execPath,
      args: [path.join(REPO_ROOT, script), ...(options.args ?? [])],
      cwd: REPO_ROOT,
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} has no pid`);
    return this.child.pid;
  }

  /** The last few KB the process wrote to stdout and stderr. */
  output(): string {
    return this.tail;
  }

  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const lingering = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(lingering);
  }
}
