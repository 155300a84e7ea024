import type { StatsStore } from '../store/types';
import {
  ConfigError,
  EARLIER_DEFAULT_SHARDS,
  NEW_DEPLOYMENT_SHARDS,
  type Config,
  type LoadedConfig,
} from '.';

/**
 * The deployment's shard count, fixed once and kept by the store: a keystem hashes to one shard,
 * so with another count its later events would land in another queue than its earlier ones (a
 * reset could then overtake them), and queues past the new count would never be drained.
 *
 * The first process to start records SHARDS, or when unset, NEW_DEPLOYMENT_SHARDS in a store that
 * holds nothing yet and EARLIER_DEFAULT_SHARDS in one an earlier version wrote (which recorded no
 * count and ran that default), or beside a Redis that holds queues past NEW_DEPLOYMENT_SHARDS (an
 * earlier version's events, not yet stored). Every later start runs the recorded count; a SHARDS
 * that differs from it stops the start with a ConfigError. Redis is asked only while nothing is
 * recorded (a first start while Redis is down waits up to 2 s for it).
 */
export async function deploymentShards(
  store: StatsStore,
  configured: number | undefined,
  redisHoldsEarlierQueues: EarlierQueuesCheck = async () => false,
): Promise<number> {
  const recorded =
    (await store.recordedShardCount()) ??
    (await store.recordShardCount({
      // a new store beside a Redis that holds an earlier version's queues is that version's deployment
      fresh:
        configured ??
        ((await redisHoldsEarlierQueues({ from: NEW_DEPLOYMENT_SHARDS, to: EARLIER_DEFAULT_SHARDS }))
          ? EARLIER_DEFAULT_SHARDS
          : NEW_DEPLOYMENT_SHARDS),
      written: configured ?? EARLIER_DEFAULT_SHARDS,
    }));
  if (configured !== undefined && configured !== recorded) {
    throw new ConfigError(
      `invalid configuration: SHARDS: ${configured}, but this deployment runs ${recorded} shards (recorded in its ` +
        `store): the count is fixed once a deployment has started; unset SHARDS or set it to ${recorded}`,
    );
  }
  return recorded;
}

/** Whether Redis holds shard queues numbered from … to - 1 (src/queue/queues.ts, holdsShardQueues). */
export type EarlierQueuesCheck = (range: { from: number; to: number }) => Promise<boolean>;

/** The configuration a process runs with, SHARDS resolved by the store (after its init). */
export async function deploymentConfig(
  config: LoadedConfig,
  store: StatsStore,
  redisHoldsEarlierQueues?: EarlierQueuesCheck,
): Promise<Config> {
  return { ...config, SHARDS: await deploymentShards(store, config.SHARDS, redisHoldsEarlierQueues) };
}
