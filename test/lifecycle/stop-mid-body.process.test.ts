import net from 'node:net';
import { CountingProxy } from '../helpers/counting-proxy';
import { parseExposition, valueOf } from '../metrics/exposition';

/**
 * A stop that reaches a pack request whose body is still arriving closes its connection without
 * an answer (the body never came, nothing went to Paccurate). The client sees the connection
 * end and may send the request again, so nothing may count it — unlike a client that hangs up
 * (counted, see test/http/client-hang-up.test.ts). It holds by the order of the stop's steps:
 * the read fails only once the connections are cut, and by then Redis and the sink are closing,
 * so the event is refused rather than queued or written to the outbox.
 */
describe('a stop that cuts off a request in the middle of its body', () => {
  let proxy: CountingProxy;
  beforeAll(async () => {
    proxy = await CountingProxy.start({});
  });
  afterAll(() => proxy.close());

  it('closes the connection unanswered and counts nothing', async () => {
    const { port } = new URL(proxy.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) =>
      socket.write(
        'POST / HTTP/1.1\r\nHost: pacproxy\r\nContent-Type: application/json\r\n' +
          'Authorization: apikey MidBodyKey-secret\r\nContent-Length: 1000\r\n\r\n{"itemSets":[',
        () => resolve(),
      ),
    );
    // answered after the proxy read what came before it: the request is in its hands
    expect((await fetch(`${proxy.url}/healthz`)).status).toBe(200);

    await proxy.stopProxy(400); // half of it waits for the request, then the connections are cut
    await ended;
    expect(Buffer.concat(received).toString()).toBe('');
    // no event went anywhere: not to Redis, nor to the outbox (to be replayed at the next start)
    const samples = parseExposition(await proxy.metrics.registry.metrics());
    expect(valueOf(samples, 'pacproxy_events_enqueued_total')).toBe(0);
    expect(valueOf(samples, 'pacproxy_events_outboxed_total')).toBe(0);
    expect(await proxy.counted()).toBe(0);
  });
});
