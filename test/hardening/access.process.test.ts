import { createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { AuthFailures, tokenMatches } from '../../src/admin/auth';
import { ConfigError, loadConfig } from '../../src/config';
import { CountingProxy } from '../helpers/counting-proxy';
import { parseExposition, valueOf } from '../metrics/exposition';

/**
 * Admin and read tokens, and READ_ACCESS: who may read the statistics, how tokens are
 * checked, and what guessing costs.
 */
const ADMIN_TOKEN = 'access-test-admin-token-0001';
const READ_TOKEN = 'access-test-read-token-00001';
const API_KEY = 'OwnFacilityKey-secret';
const OWN = API_KEY.slice(0, 10); // the simulator's usedKeyStem

describe('ADMIN_TOKEN and READ_TOKEN at start', () => {
  it('refuses tokens shorter than 16 characters, naming the variable', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'x' })).toThrow(ConfigError);
    expect(() => loadConfig({ ADMIN_TOKEN: 'fifteen-chars-x' })).toThrow(/ADMIN_TOKEN: at least 16/);
    expect(() => loadConfig({ READ_TOKEN: 'short' })).toThrow(/READ_TOKEN: at least 16/);
    expect(loadConfig({ ADMIN_TOKEN: 'sixteen-chars-xx', READ_TOKEN: 'sixteen-chars-yy' })).toMatchObject({
      ADMIN_TOKEN: 'sixteen-chars-xx',
    });
  });
});

describe('token checks', () => {
  it('compare digests: any length, no early exit, no throw', () => {
    expect(tokenMatches(ADMIN_TOKEN, ADMIN_TOKEN)).toBe(true);
    expect(tokenMatches('a', ADMIN_TOKEN)).toBe(false);
    expect(tokenMatches(`${ADMIN_TOKEN}x`, ADMIN_TOKEN)).toBe(false);
    expect(tokenMatches('', ADMIN_TOKEN)).toBe(false);
  });

  it('delay each failure of one address more, up to a cap, and forget old failures', () => {
    const counted: string[] = [];
    const failures = new AuthFailures({
      delayPerFailureMs: 100,
      maxDelayMs: 350,
      windowMs: 1000,
      onFailure: (realm) => counted.push(realm),
    });
    expect([1, 2, 3, 4].map((i) => failures.record('10.0.0.1', 'admin', i))).toEqual([100, 200, 300, 350]);
    expect(failures.record('10.0.0.2', 'read', 5)).toBe(100); // per address
    expect(failures.record('10.0.0.1', 'admin', 5000)).toBe(100); // the window passed
    expect(counted).toEqual(['admin', 'admin', 'admin', 'admin', 'read', 'admin']);
  });
});

describe('READ_ACCESS=token (through the real proxy)', () => {
  let sim: Simulator;
  let proxy: CountingProxy;
  beforeAll(async () => {
    sim = await createSimulator();
    proxy = await CountingProxy.start({
      PACCURATE_URL: sim.url,
      READ_ACCESS: 'token',
      ADMIN_TOKEN,
      READ_TOKEN,
    });
    // the facility's own request: its keystem is remembered for its key, and counted
    for (const key of [API_KEY, 'OtherFacility-key']) {
      const res = await fetch(`${proxy.url}/`, {
        method: 'POST',
        headers: { authorization: `apikey ${key}` },
        body: '{"itemSets":[{"refId":1,"dimensions":{"x":1,"y":1,"z":1},"quantity":1}],"boxTypes":[{"refId":"b","dimensions":{"x":2,"y":2,"z":2}}]}',
      });
      expect(res.status).toBe(200);
    }
    await proxy.countedAtLeast(2);
  });
  afterAll(async () => {
    await proxy.close();
    await sim.close();
  });

  const get = (route: string, authorization?: string) =>
    fetch(`${proxy.url}${route}`, { headers: authorization ? { authorization } : {} });
  const failuresOf = async (realm: string) =>
    valueOf(parseExposition(await proxy.metrics.registry.metrics()), 'pacproxy_auth_failures_total', {
      realm,
    });

  it.each([['/api/keydata/all'], ['/api/keydata'], [`/api/keydata/${OWN}`]])(
    '%s: 401 without credentials, 200 with the read or the admin token',
    async (route) => {
      const none = await get(route);
      expect(none.status).toBe(401);
      expect(await none.json()).toMatchObject({ Code: 'PACPROXY_ERR_READ_UNAUTHENTICATED' });
      expect((await get(route, `Bearer ${READ_TOKEN}`)).status).toBe(200);
      expect((await get(route, `Bearer ${ADMIN_TOKEN}`)).status).toBe(200);
      const basic = Buffer.from(`anyone:${READ_TOKEN}`).toString('base64');
      expect((await get(route, `Basic ${basic}`)).status).toBe(200);
    },
  );

  it("lets an API key read its own keystem's numbers, and nothing else", async () => {
    const own = await get(`/api/keydata/${OWN}`, `apikey ${API_KEY}`);
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ usedKeystem: OWN, totalRequests: 1 });
    expect((await get('/api/keydata/OtherFacil', `apikey ${API_KEY}`)).status).toBe(403);
    expect((await get('/api/keydata/all', `apikey ${API_KEY}`)).status).toBe(403);
    expect((await get(`/api/keydata/${OWN}`, 'apikey never-seen-key-000')).status).toBe(403);
  });

  it('answers guesses 403, each counted in the failures metric', async () => {
    const before = await failuresOf('read');
    for (let i = 0; i < 5; i++) {
      const res = await get('/api/keydata/all', `Bearer guess-${i}-${'x'.repeat(i)}`);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ Code: 'PACPROXY_ERR_READ_FORBIDDEN' });
    }
    expect(await failuresOf('read')).toBe(before + 5);
    const adminBefore = await failuresOf('admin');
    const del = await fetch(`${proxy.url}/api/keydata/${OWN}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${READ_TOKEN}` }, // the read token is no admin token
    });
    expect(del.status).toBe(403);
    expect(await failuresOf('admin')).toBe(adminBefore + 1);
  });
});
