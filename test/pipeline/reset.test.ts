import path from 'node:path';
import { request } from 'undici';
import { createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { freePort } from '../helpers/net';
import { waitFor } from '../helpers/wait';
import { keystems } from './support/events';
import { PipelineHarness } from './support/harness';
import { sendPacks } from './support/traffic';
import { NodeProcess } from './support/worker-process';

const ADMIN_TOKEN = 'reset-test-admin-token';

/**
 * Issue #4, test 5: DELETE /api/keydata/{keystem} amid traffic. The reset travels in the
 * keystem's shard stream behind the requests answered before it; afterwards the keystem shows
 * exactly the requests answered after the DELETE was, and every other keystem is untouched.
 */
describe('pipeline: DELETE amid traffic', () => {
  let h: PipelineHarness;
  let sim: Simulator;
  let port: number;

  beforeEach(async () => {
    h = await PipelineHarness.start();
    sim = await createSimulator();
    port = await freePort();
    const proxy = NodeProcess.proxy('proxy', {
      ...h.env,
      PORT: port,
      PACCURATE_URL: sim.url,
      OUTBOX_DIR: path.join(h.dir, 'proxy-outbox'),
      ADMIN_TOKEN,
    });
    h.processes.push(proxy);
    await waitFor(() => proxy.output().includes('pacproxy listening'), {
      timeoutMs: 20_000,
      what: 'the proxy',
    });
  });
  afterEach(async () => {
    await h.close();
    await sim.close();
  });

  /** Waits until the clock has moved past `t`: the next event's `at` is strictly later. */
  const after = (t: number) => waitFor(() => Date.now() > t, { intervalMs: 1, what: 'the next millisecond' });

  it('leaves the keystem with only what was answered after the DELETE', async () => {
    const ks = keystems(10);
    const target = ks[3]!;
    h.startWorker('worker-a');
    h.startWorker('worker-b');
    const others = ks.filter((k) => k !== target);
    const background = sendPacks(
      port,
      Array.from({ length: 900 }, (_, i) => others[i % others.length]!),
      4,
    );

    // requests answered before the DELETE, still in the queues (or counted) when it comes
    expect(new Set(await sendPacks(port, Array(150).fill(target)))).toEqual(new Set([200]));
    await after(Date.now());
    const deleted = await request(`http://127.0.0.1:${port}/api/keydata/${target}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(deleted.statusCode).toBe(200);
    expect(await deleted.body.json()).toEqual({ Message: `delete request sent on keystem ${target}` });
    await after(Date.now());
    expect(new Set(await sendPacks(port, Array(70).fill(target)))).toEqual(new Set([200]));
    expect(new Set(await background)).toEqual(new Set([200]));

    const counted = await h.settle(ks, 900 + 70);
    expect(counted.get(target)).toBe(70);
    for (const k of others) expect(counted.get(k)).toBe(100);
    const shown = await request(`http://127.0.0.1:${port}/api/keydata/${target}`);
    expect(await shown.body.json()).toMatchObject({ usedKeystem: target, totalRequests: 70 });
  });
});
