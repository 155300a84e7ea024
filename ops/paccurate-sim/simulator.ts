import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidPackRequestError, pack } from './packer';

/**
 * A stand-in for the Paccurate API: a real HTTP server that packs with a deterministic
 * heuristic and answers in Paccurate's shape. Tests and benches start one on a free port and
 * change `behavior` between requests to cause latency, error statuses, HTML or silence.
 */

/** What the simulator does with the next request. Mutable: tests change it as they go. */
export interface SimulatorBehavior {
  /** wait this long (ms) before answering */
  latencyMs: number;
  /** answer every request with this status and a Paccurate-like `{code, message}` body; null: pack */
  status: number | null;
  /** answer an HTML page instead of JSON, with `status` or 200 (a gateway or portal in the way) */
  html: boolean;
  /** read the request and never answer */
  hang: boolean;
  /** fraction (0..1) of requests answered 503, chosen at random */
  errorRate: number;
  /** SVG figures in answers; a request can still turn them off with includeImages: false */
  images: boolean;
}

export interface SimulatorOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** default 0: a free port the OS picks */
  port?: number;
  behavior?: Partial<SimulatorBehavior>;
}

/** A request as the simulator received it, for byte-for-byte checks. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A plain, fast, healthy Paccurate. `Object.assign(sim.behavior, DEFAULT_BEHAVIOR)` resets one. */
export const DEFAULT_BEHAVIOR: Readonly<SimulatorBehavior> = {
  latencyMs: 0,
  status: null,
  html: false,
  hang: false,
  errorRate: 0,
  images: true,
};

/** An answer as the simulator sent it, for byte-for-byte checks. */
export interface SentAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const KEY_STEM_LENGTH = 10;

export class Simulator {
  readonly behavior: SimulatorBehavior;
  /** requests received so far */
  received = 0;
  lastRequest: ReceivedRequest | null = null;
  lastAnswer: SentAnswer | null = null;
  private readonly server: http.Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private address: AddressInfo | null = null;

  constructor(behavior: Partial<SimulatorBehavior> = {}) {
    this.behavior = { ...DEFAULT_BEHAVIOR, ...behavior };
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
  }

  get port(): number {
    if (!this.address) throw new Error('simulator is not listening');
    return this.address.port;
  }

  /** Base URL to use as PACCURATE_URL, e.g. http://127.0.0.1:8081/ */
  get url(): string {
    const host = this.address?.address ?? '127.0.0.1';
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    return `http://${shown.includes(':') ? `[${shown}]` : shown}:${this.port}/`;
  }

  listen(port = 0, host = '127.0.0.1'): Promise<this> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.address = this.server.address() as AddressInfo;
        resolve(this);
      });
    });
  }

  /** Stops listening and drops every open connection, hanging requests included. */
  close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    this.received++;
    this.lastRequest = {
      method: req.method ?? '',
      path: req.url ?? '/',
      headers: req.headers,
      body: body ?? Buffer.alloc(0),
    };
    const answer = await this.answerFor(req, body);
    if (answer === null) return; // hanging
    this.lastAnswer = answer;
    res.writeHead(answer.status, {
      'content-type': answer.contentType,
      'content-length': answer.body.length,
    });
    res.end(answer.body);
  }

  /** What to answer, or null to never answer. */
  private async answerFor(req: IncomingMessage, body: Buffer | null): Promise<SentAnswer | null> {
    if (body === null) return jsonAnswer(413, { code: 413, message: 'request body too large' });
    if (req.method !== 'POST') return jsonAnswer(405, { code: 405, message: 'use POST' });

    const b = this.behavior;
    if (b.hang) return null;
    if (b.latencyMs > 0) await this.delay(b.latencyMs);
    if (b.html) return { status: b.status ?? 200, contentType: 'text/html; charset=utf-8', body: HTML_PAGE };
    if (b.status !== null)
      return jsonAnswer(b.status, { code: b.status, message: simulatedReason(b.status) });
    if (b.errorRate > 0 && Math.random() < b.errorRate) {
      return jsonAnswer(503, { code: 503, message: simulatedReason(503) });
    }

    let request: unknown;
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return jsonAnswer(400, { code: 400, message: `malformed JSON: ${(err as Error).message}` });
    }
    try {
      const keyStem = apiKeyOf(req.headers.authorization, request)?.slice(0, KEY_STEM_LENGTH);
      return jsonAnswer(200, pack(request, { keyStem, images: b.images }));
    } catch (err) {
      if (!(err instanceof InvalidPackRequestError)) throw err;
      return jsonAnswer(400, { code: 400, message: err.message });
    }
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }
}

/** Starts a simulator; `await sim.close()` when done. */
export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return new Simulator(options.behavior).listen(options.port ?? 0, options.host ?? '127.0.0.1');
}

/** `Authorization: apikey KEY` (Paccurate's scheme); older clients put `key` in the body. */
function apiKeyOf(authorization: string | undefined, request: unknown): string | undefined {
  const match = authorization ? /^\s*apikey\s+(\S+)/i.exec(authorization) : null;
  if (match) return match[1];
  const bodyKey = (request as { key?: unknown } | null)?.key;
  return typeof bodyKey === 'string' && bodyKey !== '' ? bodyKey : undefined;
}

function simulatedReason(status: number): string {
  const text = http.STATUS_CODES[status] ?? 'error';
  return `simulated ${status}: ${text.toLowerCase()}`;
}

/** The whole body, or null when it is larger than MAX_BODY_BYTES (the rest is drained). */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : null));
    req.on('error', reject);
  });
}

function jsonAnswer(status: number, body: unknown): SentAnswer {
  return { status, contentType: 'application/json; charset=utf-8', body: Buffer.from(JSON.stringify(body)) };
}

const HTML_PAGE = Buffer.from(
  '<!doctype html><html><head><title>Service Temporarily Unavailable</title></head>' +
    '<body><h1>Maintenance</h1><p>The packing service will be back shortly.</p></body></html>',
);
