import { z } from 'zod';
import type { ErrorCode } from '../errors/registry';

/**
 * Every setting Pacproxy reads, from the environment, validated once at start.
 * `.env.example` documents each one; keep the two in step.
 */

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));
/** `h1:p1,h2:p2,…`, each optionally `redis://` or `rediss://` (TLS) in front. */
const hostPortList = z
  .string()
  .regex(
    /^\s*(rediss?:\/\/)?[^\s:,/]+:\d{1,5}\s*(,\s*(rediss?:\/\/)?[^\s:,/]+:\d{1,5}\s*)*$/,
    'a comma-separated list of host:port',
  );

const size = z.string().regex(/^\d+(b|kb|mb)?$/i, 'a size such as 512kb or 10mb');

/**
 * Shards of a new deployment when SHARDS is unset: each shard is a queue, and events of one shard
 * accepted together travel as one job, so fewer shards make denser jobs and less Redis work per
 * event (README "Performance"); four still let four worker processes share the work.
 */
export const NEW_DEPLOYMENT_SHARDS = 4;
/** What versions that recorded no count ran when SHARDS was unset (their default). */
export const EARLIER_DEFAULT_SHARDS = 16;

/** Shortest ADMIN_TOKEN or READ_TOKEN accepted: shorter ones are guessable. */
export const MIN_TOKEN_LENGTH = 16;

const schema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  PACCURATE_URL: z.string().url().default('https://api.paccurate.io/'),
  PACCURATE_TIMEOUT_MS: int(1).default(30_000),
  BODY_LIMIT: size.default('10mb'),
  REDIS_URL: optionalString.pipe(z.string().url().optional()),
  REDIS_CLUSTER_NODES: optionalString.pipe(hostPortList.optional()),
  REDIS_SENTINELS: optionalString.pipe(hostPortList.optional()),
  REDIS_SENTINEL_MASTER: optionalString,
  REDIS_PASSWORD: optionalString,
  STORE: z.enum(['sqlite', 'mongodb']).default('sqlite'),
  SQLITE_PATH: z.string().min(1).default('./data/pacproxy.db'),
  MONGODB_URL: optionalString.pipe(z.string().url().optional()),
  MONGODB_DB: z.string().min(1).default('pacproxy'),
  HISTORY_RETENTION_DAYS: int(0, 100_000).default(400),
  /** unset (or empty): the count the deployment's store records (see shard-count.ts) */
  SHARDS: z.preprocess((v) => (v === '' ? undefined : v), int(1, 1024).optional()),
  FLUSH_INTERVAL_MS: int(1).default(1000),
  FLUSH_MAX_JOBS: int(1, 100_000).default(1000),
  LEASE_TTL_MS: int(1000).default(10_000),
  SHUTDOWN_TIMEOUT_MS: int(100).default(10_000),
  ENQUEUE_TIMEOUT_MS: int(1).default(500),
  ENQUEUE_GROUP_MS: int(0, 1000).default(3),
  OUTBOX_DIR: z.string().min(1).default('./data/outbox'),
  CACHE_TTL_SECONDS: int(0).default(300),
  CACHE_MAX_BYTES: int(0).default(1_048_576),
  ADMIN_TOKEN: optionalString,
  READ_TOKEN: optionalString,
  READ_ACCESS: z.enum(['open', 'token']).default('open'),
  TRUST_PROXY: int(0, 10).default(0),
  JSON_MAX_DEPTH: int(1, 1000).default(64),
  BOX_TYPES_MAX: int(1, 10_000).default(100),
  BOX_TYPES_PER_KEYSTEM: int(1, 100_000).default(1000),
  REFID_MAX_LENGTH: int(1, 1000).default(64),
  UPSTREAM_ANSWER_LIMIT: size.default('20mb'),
  HEADERS_TIMEOUT_MS: int(1).default(10_000),
  REQUEST_TIMEOUT_MS: int(1).default(60_000),
  KEEP_ALIVE_TIMEOUT_MS: int(1).default(5_000),
  MAX_CONNECTIONS: int(1).default(10_000),
  METRICS_PORT: int(0, 65535).default(9091),
  DASHBOARD_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code such as USD or EUR')
    .default('USD'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The settings as read from the environment: SHARDS only when set. */
export type LoadedConfig = z.infer<typeof schema>;

/** The settings a process runs with: SHARDS is the deployment's count (shard-count.ts). */
export type Config = Omit<LoadedConfig, 'SHARDS'> & { SHARDS: number };

export class ConfigError extends Error {
  readonly code = 'PACPROXY_ERR_CONFIG' satisfies ErrorCode;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the configuration; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const config = parsed.data;
  for (const name of ['ADMIN_TOKEN', 'READ_TOKEN'] as const) {
    const token = config[name];
    if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
      throw new ConfigError(
        `invalid configuration: ${name}: at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 24)`,
      );
    }
  }
  const redisShapes = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const;
  const set = redisShapes.filter((name) => config[name] !== undefined);
  if (set.length > 1) {
    throw new ConfigError(
      `invalid configuration: ${set.join(', ')}: set at most one of them (one Redis, a Redis Cluster, or Sentinel)`,
    );
  }
  if ((config.REDIS_SENTINELS === undefined) !== (config.REDIS_SENTINEL_MASTER === undefined)) {
    throw new ConfigError(
      'invalid configuration: REDIS_SENTINELS and REDIS_SENTINEL_MASTER: set both (the sentinels and the master name) or neither',
    );
  }
  if (config.STORE === 'mongodb' && !config.MONGODB_URL) {
    throw new ConfigError('invalid configuration: MONGODB_URL: required when STORE=mongodb');
  }
  return config;
}

/**
 * Builds a complete configuration for tests and tools: defaults plus the given overrides, and
 * SHARDS as a new deployment gets it when not given (no store is asked).
 */
export function testConfig(overrides: Partial<Record<keyof Config, string | number>> = {}): Config {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(overrides)) env[k] = String(v);
  const config = loadConfig(env);
  return { ...config, SHARDS: config.SHARDS ?? NEW_DEPLOYMENT_SHARDS };
}
