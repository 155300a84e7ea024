import { z } from 'zod';
import { Simulator } from '../ops/paccurate-sim/simulator';
import { createLogger } from '../src/log/logger';
import { exitOnStartFailure, stopOnSignal } from '../src/lifecycle/signals';

/**
 * `npm run sim`: the Paccurate simulator as a process. Settings from the environment:
 * SIM_PORT (8081), SIM_HOST (127.0.0.1; 0.0.0.0 in a container), SIM_LATENCY_MS (0),
 * SIM_ERROR_RATE (0..1, share of requests answered 503), SIM_IMAGES (true: SVGs in answers),
 * SHUTDOWN_TIMEOUT_MS (10000). SIGTERM/SIGINT: drops every connection (hanging ones too), exits 0.
 */
const schema = z.object({
  SIM_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  SIM_HOST: z.string().min(1).default('127.0.0.1'),
  SIM_LATENCY_MS: z.coerce.number().int().min(0).default(0),
  SIM_ERROR_RATE: z.coerce.number().min(0).max(1).default(0),
  SIM_IMAGES: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
});

async function main(): Promise<void> {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    console.error(`paccurate-sim: invalid configuration: ${problems.join('; ')}`);
    process.exit(1);
  }
  const env = parsed.data;
  const sim = new Simulator({
    latencyMs: env.SIM_LATENCY_MS,
    errorRate: env.SIM_ERROR_RATE,
    images: env.SIM_IMAGES,
  });
  // before listening: a signal as soon as the port answers stops it the documented way
  stopOnSignal({
    name: 'paccurate-sim',
    logger: createLogger('info'),
    timeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    steps: () => [{ name: 'simulator', run: () => sim.close() }],
  });
  await sim.listen(env.SIM_PORT, env.SIM_HOST);
  console.log(
    `paccurate-sim listening on ${sim.url} (latency ${env.SIM_LATENCY_MS} ms, ` +
      `error rate ${env.SIM_ERROR_RATE}, images ${env.SIM_IMAGES})`,
  );
}

main().catch(exitOnStartFailure('paccurate-sim'));
