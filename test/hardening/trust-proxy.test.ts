import request from 'supertest';
import { AuthFailures } from '../../src/admin/auth';
import { testConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { MemorySink } from '../../src/queue/sink';
import { SqliteStore } from '../../src/store/sqlite';

/**
 * Failed authentications are delayed per client address. Behind reverse proxies (the compose
 * file's nginx) the connection's address is the proxy's: with TRUST_PROXY set to their number
 * the address comes from X-Forwarded-For, so one client's failures do not delay the others.
 */
const ADMIN_TOKEN = 'trust-proxy-test-admin-token';

describe('TRUST_PROXY: the address failed authentications are delayed by', () => {
  let store: SqliteStore;
  beforeAll(() => {
    store = new SqliteStore({ path: ':memory:' });
  });
  afterAll(() => store.close());
  afterEach(() => jest.restoreAllMocks());

  /** The addresses the failure delay was recorded for, for one failed DELETE per client. */
  async function delayedAddresses(trustProxy: number, clients: string[]): Promise<string[]> {
    const record = jest.spyOn(AuthFailures.prototype, 'record');
    const app = createApp({
      config: testConfig({ ADMIN_TOKEN, TRUST_PROXY: trustProxy }),
      logger: createLogger('silent'),
      sink: new MemorySink(),
      store,
    });
    for (const client of clients) {
      await request(app)
        .delete('/api/keydata/SomeKeystem')
        .set('authorization', 'Bearer a-wrong-guess-of-the-token')
        .set('x-forwarded-for', client)
        .expect(403);
    }
    return record.mock.calls.map(([address]) => address);
  }

  it('keeps each client apart behind one trusted proxy (the compose setting)', async () => {
    expect(await delayedAddresses(1, ['203.0.113.7', '198.51.100.2'])).toEqual([
      '203.0.113.7',
      '198.51.100.2',
    ]);
  });

  it('takes the address nearest the trusted proxies, not one a client wrote into the header', async () => {
    // the client claims 10.9.9.9; the one nginx in front appended the address it saw
    expect(await delayedAddresses(1, ['10.9.9.9, 203.0.113.7'])).toEqual(['203.0.113.7']);
  });

  it('by default (0) ignores X-Forwarded-For: a client cannot pick its own address', async () => {
    const addresses = await delayedAddresses(0, ['203.0.113.7', '198.51.100.2']);
    expect(new Set(addresses).size).toBe(1);
    expect(addresses[0]).toMatch(/127\.0\.0\.1|::1/);
  });
});
