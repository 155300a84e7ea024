import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the hostile upstream does with the next request. */
export type Hostility = (req: IncomingMessage, res: ServerResponse) => void;

/** A Paccurate answer of the documented shape, with whatever values the test puts in. */
export function packAnswer(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    usedKeyStem: 'Hostile-01',
    lenItems: 1,
    totalVolume: 240,
    totalVolumeUtilization: 0.5,
    boxes: [{ box: { boxType: { refId: 'A' } } }],
    ...fields,
  };
}

/** Boxes of the given box type refIds, one each, in Paccurate's nesting. */
export function boxesOf(refIds: readonly unknown[]): Array<{ box: { boxType: { refId: unknown } } }> {
  return refIds.map((refId) => ({ box: { boxType: { refId } } }));
}

export function answerJson(json: unknown, status = 200): Hostility {
  return (_req, res) => {
    const body = JSON.stringify(json);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  };
}

/**
 * A real HTTP server standing in for Paccurate, behaving as `behave` says: answers of any size
 * or content. Every request body is read first, as Paccurate would. `bytesSent` counts what a
 * streaming answer managed to write before the proxy cut it off.
 */
export class HostileUpstream {
  behave: Hostility = answerJson(packAnswer());
  bytesSent = 0;
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => this.behave(req, res));
    });
  }

  static async start(): Promise<HostileUpstream> {
    const upstream = new HostileUpstream();
    await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
    return upstream;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** Streams `totalBytes` of a JSON string as fast as the reader takes it, counting what went out. */
  streamHuge(totalBytes: number): Hostility {
    return (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      res.write('{"usedKeyStem":"Hostile-01","pad":"');
      const pump = () => {
        while (this.bytesSent < totalBytes) {
          this.bytesSent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('"}');
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
