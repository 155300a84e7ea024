import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// One free-port finder for tests and benches (ops/ cannot import from test/, the image leaves it out).
export { freePort } from '../../ops/bench/lib/net';

/** Listens on a free port of 127.0.0.1; resolves the server's base URL. */
export function listenLocal(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}
