import { ConfigError, loadConfig, testConfig } from '../../src/config';
import { describeRedis, redisTarget, topologyFaultOf } from '../../src/queue/redis';

/** The three Redis shapes as settings: at most one, each turned into the connection target. */
describe('Redis settings', () => {
  it('takes one node, a Cluster or Sentinel, with the password beside', () => {
    expect(redisTarget(testConfig({ REDIS_URL: 'redis://cache:6379/2', REDIS_PASSWORD: 'pw' }))).toEqual({
      shape: 'node',
      url: 'redis://cache:6379/2',
      password: 'pw',
    });
    expect(redisTarget(testConfig({ REDIS_CLUSTER_NODES: 'a:7000, b:7001,rediss://c:7002' }))).toEqual({
      shape: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
        { host: 'c', port: 7002 },
      ],
      tls: true,
      password: undefined,
    });
    expect(
      redisTarget(testConfig({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_MASTER: 'mymaster' })),
    ).toMatchObject({
      shape: 'sentinel',
      master: 'mymaster',
      tls: false,
      sentinels: [{ host: 's1' }, { host: 's2' }],
    });
    expect(redisTarget(testConfig())).toEqual({
      shape: 'node',
      url: 'redis://127.0.0.1:6379',
      password: undefined,
    });
  });

  it('refuses more than one shape, a half Sentinel setting and a malformed node list, naming them', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'b:2' })).toThrow(
      /REDIS_URL, REDIS_CLUSTER_NODES: set at most one/,
    );
    expect(() =>
      loadConfig({ REDIS_CLUSTER_NODES: 'b:2', REDIS_SENTINELS: 'c:3', REDIS_SENTINEL_MASTER: 'm' }),
    ).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_SENTINELS: 'c:3' })).toThrow(/REDIS_SENTINEL_MASTER: set both/);
    expect(() => loadConfig({ REDIS_SENTINEL_MASTER: 'm' })).toThrow(/set both/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'no-port-here' })).toThrow(
      /REDIS_CLUSTER_NODES: a comma-separated/,
    );
  });

  it('describes where Redis is without the password', () => {
    const secret = 's3cret-pw';
    const targets = [
      redisTarget(testConfig({ REDIS_URL: `redis://user:${secret}@cache:6379`, REDIS_PASSWORD: secret })),
      redisTarget(testConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_PASSWORD: secret })),
      redisTarget(testConfig({ REDIS_SENTINELS: 's:1', REDIS_SENTINEL_MASTER: 'm', REDIS_PASSWORD: secret })),
    ];
    expect(targets.map(describeRedis)).toEqual([
      'redis://cache:6379',
      'cluster a:7000',
      'sentinel master "m" via s:1',
    ]);
  });
});

describe('topologyFaultOf', () => {
  it('names the Redis answers that mean the topology refuses a command, and only those', () => {
    expect(topologyFaultOf(new Error('MOVED 3999 127.0.0.1:6381'))).toBe('MOVED');
    expect(topologyFaultOf(new Error("CROSSSLOT Keys in request don't hash to the same slot"))).toBe(
      'CROSSSLOT',
    );
    expect(
      topologyFaultOf(
        new Error(
          "READONLY You can't write against a read only replica. script: 80862, on @user_script:507.",
        ),
      ),
    ).toBe('READONLY');
    expect(topologyFaultOf(new Error('CLUSTERDOWN The cluster is down'))).toBe('CLUSTERDOWN');
    expect(
      topologyFaultOf(new Error('ERR Error running script: Lua script attempted to access a non local key')),
    ).toBe('CROSSSLOT');
    expect(topologyFaultOf(new Error('connect ECONNREFUSED 127.0.0.1:6379'))).toBeNull();
    expect(topologyFaultOf(new Error('Redis enqueue timed out after 500 ms'))).toBeNull();
    expect(topologyFaultOf(new Error('OOM command not allowed when used memory > maxmemory'))).toBeNull();
  });
});
