import { readFileSync } from 'node:fs';

/**
 * Container healthcheck, with node because the slim image has no curl: exits 0 when GET <url>
 * answers 2xx within 3 s, else 1. Without a URL it probes what this container serves: a worker
 * (its PID 1 runs dist/bin/worker.js, directly or under `--init`) its /metrics on METRICS_PORT,
 * anything else the proxy's /healthz on PORT.
 *
 *   node dist/ops/docker/healthcheck.js [url]
 */

/** Whether a command line (argv, as /proc/PID/cmdline holds it) runs the worker role. */
export function runsWorker(cmdline: readonly string[]): boolean {
  return cmdline.some((arg) => /(^|\/)bin\/worker\.js$/.test(arg));
}

/** The URL to probe when none is given, from the container's environment and its PID 1. */
export function defaultUrl(env: NodeJS.ProcessEnv, pid1: readonly string[]): string {
  return runsWorker(pid1)
    ? `http://127.0.0.1:${env.METRICS_PORT ?? 9091}/metrics`
    : `http://127.0.0.1:${env.PORT ?? 8080}/healthz`;
}

/** The container's PID 1 command line (the healthcheck runs in its PID namespace); [] if unreadable. */
export function pid1Cmdline(file = '/proc/1/cmdline'): string[] {
  try {
    return readFileSync(file, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

if (require.main === module) {
  const url = process.argv[2] ?? defaultUrl(process.env, pid1Cmdline());
  fetch(url, { signal: AbortSignal.timeout(3000) }).then(
    (res) => process.exit(res.ok ? 0 : 1),
    () => process.exit(1),
  );
}
