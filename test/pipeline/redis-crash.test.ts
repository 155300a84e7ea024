import path from 'node:path';
import { request } from 'undici';
import { createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { freePort } from '../helpers/net';
import { waitFor } from '../helpers/wait';
import { keystems } from './support/events';
import { PipelineHarness } from './support/harness';
import { sendPacks } from './support/traffic';
import { NodeProcess } from './support/worker-process';

/**
 * Issue #4, test 2: redis-server is SIGKILLed mid-stream and restarted on its AOF. The proxy
 * keeps answering 200 meanwhile (its events go to the fsync'd outbox and are replayed), and
 * in the end every keystem's totals are exact. The same for a Redis that stalls (SIGSTOP)
 * instead of dying.
 */
describe('pipeline: Redis crash', () => {
  let h: PipelineHarness;
  let sim: Simulator;
  let proxy: NodeProcess;
  let port: number;

  beforeEach(async () => {
    h = await PipelineHarness.start();
    sim = await createSimulator();
    port = await freePort();
    proxy = NodeProcess.proxy('proxy', {
      ...h.env,
      PORT: port,
      PACCURATE_URL: sim.url,
      OUTBOX_DIR: path.join(h.dir, 'proxy-outbox'),
      ENQUEUE_TIMEOUT_MS: 300,
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

  async function outboxed(): Promise<number> {
    const text = await (await request(`http://127.0.0.1:${port}/metrics`)).body.text();
    return Number(/^pacproxy_events_outboxed_total (\d+)/m.exec(text)?.[1] ?? NaN);
  }

  it('answers 200 through a Redis SIGKILL + AOF restart and counts every request once', async () => {
    const ks = keystems(15);
    h.startWorker('worker-a');
    h.startWorker('worker-b');
    const round = (n: number) => Array.from({ length: n }, (_, i) => ks[i % ks.length]!);

    const statuses = await sendPacks(port, round(300));
    await h.server.kill();
    statuses.push(...(await sendPacks(port, round(300))));
    expect(await outboxed()).toBeGreaterThan(0);
    await h.server.restart();
    statuses.push(...(await sendPacks(port, round(300))));

    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const counted = await h.settle(ks, 900);
    for (const k of ks) expect(counted.get(k)).toBe(60);
    expect((await h.jobsLeft()).failed).toBe(0);
  });

  it('answers 200 while Redis is silent (SIGSTOP) and counts every request once after SIGCONT', async () => {
    const ks = keystems(10);
    h.startWorker('worker-a');
    const round = (n: number) => Array.from({ length: n }, (_, i) => ks[i % ks.length]!);

    const statuses = await sendPacks(port, round(100));
    h.server.pause();
    // the enqueues sent to the silent server time out into the outbox, but stay queued on
    // the connection: when Redis answers again they run too, and the outbox replays the same
    // events — the store's ledger must count each once
    statuses.push(...(await sendPacks(port, round(100))));
    expect(await outboxed()).toBeGreaterThan(0);
    h.server.resume();
    statuses.push(...(await sendPacks(port, round(100))));

    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const counted = await h.settle(ks, 300);
    for (const k of ks) expect(counted.get(k)).toBe(30);
    expect((await h.jobsLeft()).failed).toBe(0);
  });
});
