/**
 * Container healthcheck, with node because the slim image has no curl: exits 0 when GET <url>
 * answers 2xx within 3 s, else 1. The URL defaults to this container's proxy /healthz.
 *
 *   node dist/ops/docker/healthcheck.js [url]
 */
const url = process.argv[2] ?? `http://127.0.0.1:${process.env.PORT ?? 8080}/healthz`;

fetch(url, { signal: AbortSignal.timeout(3000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
