import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSimulator, DEFAULT_BEHAVIOR, type Simulator } from '../../ops/paccurate-sim/simulator';
import { InFlightCount } from '../../src/util/in-flight';
import { waitFor } from '../helpers/wait';
import { createPackApp, LogCapture, type PackApp } from './pack-harness';

const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');
const PINO_ERROR = 50;

/**
 * A client that hangs up before its answer (a timeout on its side, a crash) is still a request
 * the proxy handled: it is counted once, as what it was, and costs nothing else — no error, no
 * request left "in progress" (the sink's group commit reads that count).
 */
describe('a client that hangs up before its answer', () => {
  const logs = new LogCapture();
  const inFlight = new InFlightCount();
  let sim: Simulator;
  let proxy: PackApp;
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    sim = await createSimulator();
    proxy = createPackApp({ paccurateUrl: sim.url, logs, requestsInFlight: inFlight });
    server = http.createServer(proxy.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await proxy.close();
    await sim.close();
  });
  beforeEach(() => {
    Object.assign(sim.behavior, DEFAULT_BEHAVIOR);
  });

  /** Sends the request head and `bodyBytes` of the fixture, then closes after `closeAfterMs`. */
  const hangUp = async (bodyBytes: number, closeAfterMs: number) => {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST / HTTP/1.1\r\nHost: pacproxy\r\nContent-Type: application/json\r\n' +
        `Authorization: apikey HANGUPHANG-key\r\nContent-Length: ${Buffer.byteLength(fixture)}\r\n\r\n`,
    );
    socket.write(fixture.slice(0, bodyBytes));
    await new Promise((resolve) => setTimeout(resolve, closeAfterMs));
    socket.destroy();
  };
  const settled = async (events: number) => {
    await waitFor(() => proxy.events().length === events && inFlight.count === 0, {
      what: `${events} event(s) recorded and no request in progress`,
    });
  };
  const errorLines = () => logs.records().filter((r) => Number(r.level) >= PINO_ERROR);

  it('in the middle of its body: counted once as a refused request, nothing sent to Paccurate', async () => {
    const before = { events: proxy.events().length, received: sim.received };
    await hangUp(100, 50);
    await settled(before.events + 1);
    expect(proxy.events().at(-1)?.stats).toMatchObject({ requestError: true, errorResponse: false });
    expect(sim.received).toBe(before.received);
    expect(errorLines()).toEqual([]);
  });

  it("while Paccurate works on it: counted once with Paccurate's answer", async () => {
    sim.behavior.latencyMs = 300;
    const before = { events: proxy.events().length, received: sim.received };
    await hangUp(Buffer.byteLength(fixture), 50);
    await settled(before.events + 1);
    expect(proxy.events().at(-1)?.stats).toMatchObject({
      statusCode: '200',
      requestError: false,
      errorResponse: false,
    });
    expect(sim.received).toBe(before.received + 1);
    expect(errorLines()).toEqual([]);
  });
});
