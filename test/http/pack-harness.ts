import type { Express } from 'express';
import request from 'supertest';
import { DEFAULT_BEHAVIOR, createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { testConfig, type Config } from '../../src/config';
import { createApp } from '../../src/http/app';
import { MemorySink, type StatsSink } from '../../src/queue/sink';
import type { PackEvent } from '../../src/stats/types';
import { KeystemMemory, type KeyValueStore } from '../../src/upstream/keystem-memory';
import { PaccurateClient } from '../../src/upstream/paccurate-client';
import type { InFlightCount } from '../../src/util/in-flight';
import { LogCapture } from '../helpers/log-capture';

/** the pack tests take their log capture from the harness */
export { LogCapture };

export interface PackAppOptions {
  /** where Paccurate is (the simulator's url, or a closed port) */
  paccurateUrl: string;
  config?: Partial<Record<keyof Config, string | number>>;
  /** shared keystem memory (Redis); default: none */
  redis?: KeyValueStore | null;
  sink?: StatsSink;
  requestsInFlight?: InFlightCount;
  logs: LogCapture;
}

/** A real app (real upstream client, real keystem memory) with a MemorySink to read its events. */
export interface PackApp {
  app: Express;
  sink: MemorySink;
  /** the pack events recorded so far */
  events(): PackEvent[];
  close(): Promise<void>;
}

export function createPackApp(options: PackAppOptions): PackApp {
  const config = testConfig({ PACCURATE_URL: options.paccurateUrl, ...options.config });
  const logger = options.logs.logger();
  const memorySink = new MemorySink();
  const upstream = new PaccurateClient({ url: config.PACCURATE_URL, timeoutMs: config.PACCURATE_TIMEOUT_MS });
  const keystems = new KeystemMemory({ redis: options.redis ?? null, logger });
  const app = createApp({
    config,
    logger,
    sink: options.sink ?? memorySink,
    upstream,
    keystems,
    requestsInFlight: options.requestsInFlight,
  });
  return {
    app,
    sink: memorySink,
    events: () => memorySink.events.filter((e): e is PackEvent => e.kind === 'pack'),
    close: () => upstream.close(),
  };
}

/**
 * A simulator and a proxy app in front of it for the test file (jest hooks), with the
 * simulator's behavior reset before each test. Read `ctx.sim` and `ctx.proxy` inside tests.
 */
export function useSimulatedProxy(logs: LogCapture): { sim: Simulator; proxy: PackApp } {
  const ctx = {} as { sim: Simulator; proxy: PackApp };
  beforeAll(async () => {
    ctx.sim = await createSimulator();
    ctx.proxy = createPackApp({ paccurateUrl: ctx.sim.url, logs });
  });
  afterAll(async () => {
    await ctx.proxy.close();
    await ctx.sim.close();
  });
  beforeEach(() => {
    Object.assign(ctx.sim.behavior, DEFAULT_BEHAVIOR);
  });
  return ctx;
}

/** POST `body` (a string: supertest would JSON-encode a Buffer) as a client would. */
export function postJson(
  app: Express,
  route: '/' | '/pack',
  body: string,
  { authorization, contentType = 'application/json' }: { authorization?: string; contentType?: string } = {},
): request.Test {
  const req = request(app).post(route).set('content-type', contentType);
  if (authorization !== undefined) req.set('authorization', authorization);
  return req.send(body);
}
