import { z } from 'zod';
import { createSimulator } from './simulator';

/**
 * `npm run sim`: the Paccurate simulator as a process. Settings from the environment:
 * SIM_PORT (8081), SIM_HOST (127.0.0.1; 0.0.0.0 in a container), SIM_LATENCY_MS (0),
 * SIM_ERROR_RATE (0..1, share of requests answered 503), SIM_IMAGES (true: SVGs in answers).
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
});

async function main(): Promise<void> {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    console.error(`paccurate-sim: invalid configuration: ${problems.join('; ')}`);
    process.exit(1);
  }
  const env = parsed.data;
  const sim = await createSimulator({
    port: env.SIM_PORT,
    host: env.SIM_HOST,
    behavior: { latencyMs: env.SIM_LATENCY_MS, errorRate: env.SIM_ERROR_RATE, images: env.SIM_IMAGES },
  });
  console.log(
    `paccurate-sim listening on ${sim.url} (latency ${env.SIM_LATENCY_MS} ms, ` +
      `error rate ${env.SIM_ERROR_RATE}, images ${env.SIM_IMAGES})`,
  );
  const stop = () => {
    sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`paccurate-sim: ${(err as Error).message}`);
  process.exit(1);
});
