import net from 'node:net';
import type { AddressInfo } from 'node:net';

interface Passage {
  client: net.Socket;
  server: net.Socket;
  silent: boolean;
}

/**
 * A TCP proxy in front of a server that can make the connections through it go silent: bytes
 * are dropped both ways while the sockets stay open, as when a host vanishes or a NAT forgets
 * a connection (no reset, no error: the client waits). Connections opened after `silence()`
 * pass again, as a client reconnecting would find the server.
 */
export class SilentProxy {
  private readonly passages = new Set<Passage>();
  private readonly listener: net.Server;

  private constructor(targetPort: number) {
    this.listener = net.createServer((client) => {
      const passage = { client, server: net.connect(targetPort, '127.0.0.1'), silent: false };
      const { server } = passage;
      this.passages.add(passage);
      client.on('data', (chunk) => passage.silent || server.write(chunk));
      server.on('data', (chunk) => passage.silent || client.write(chunk));
      const end = () => {
        this.passages.delete(passage);
        client.destroy();
        server.destroy();
      };
      client.on('close', end).on('error', end);
      server.on('close', end).on('error', end);
    });
  }

  static async start(targetPort: number): Promise<SilentProxy> {
    const proxy = new SilentProxy(targetPort);
    await new Promise<void>((resolve) => proxy.listener.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.listener.address() as AddressInfo).port}`;
  }

  /** Every connection open now goes silent for good; new ones pass. Answers how many went silent. */
  silence(): number {
    for (const passage of this.passages) passage.silent = true;
    return this.passages.size;
  }

  async close(): Promise<void> {
    for (const { client, server } of this.passages) {
      client.destroy();
      server.destroy();
    }
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }
}
