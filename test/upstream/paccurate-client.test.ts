import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DEFAULT_BEHAVIOR, createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { apiKeyOf } from '../../src/upstream/api-key';
import {
  UpstreamBadAnswerError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
} from '../../src/upstream/errors';
import { PaccurateClient } from '../../src/upstream/paccurate-client';
import type { PackRequest } from '../../src/upstream/types';
import { freePort } from '../helpers/net';
import { waitFor } from '../helpers/wait';

// Whitespace and key order as a client wrote them: the upstream must see these exact bytes.
const raw = Buffer.concat([
  readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json')),
  Buffer.from('\n  '),
]);
const authorization = 'apikey 6UZlPsHAqpTHE-REST-OF-THE-KEY';
const request: PackRequest = {
  raw,
  json: JSON.parse(raw.toString()),
  authorization,
  apiKey: apiKeyOf(authorization),
};

describe('PaccurateClient against the simulator', () => {
  let sim: Simulator;
  let client: PaccurateClient;

  beforeAll(async () => {
    sim = await createSimulator();
    client = new PaccurateClient({ url: sim.url, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });
  beforeEach(() => {
    Object.assign(sim.behavior, DEFAULT_BEHAVIOR);
  });

  it('forwards the body byte for byte with the Authorization and answers with the parse', async () => {
    const answer = await client.pack(request);
    expect(sim.lastRequest?.body.equals(raw)).toBe(true);
    expect(sim.lastRequest?.headers.authorization).toBe(authorization);
    expect(sim.lastRequest?.headers['content-type']).toBe('application/json');
    expect(answer).toMatchObject({ status: 200, cache: 'off', json: { usedKeyStem: '6UZlPsHAqp' } });
    expect(answer.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body.toString())).toEqual(answer.json);
    expect(answer.latencyNs).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(answer.timeStamp))).toBe(false);
  });

  it('sends no Authorization when the client sent none', async () => {
    await client.pack({ ...request, authorization: undefined, apiKey: undefined });
    expect(sim.lastRequest?.headers).not.toHaveProperty('authorization');
  });

  it('passes an error status on, with its JSON body or without one', async () => {
    sim.behavior.status = 400;
    expect(await client.pack(request)).toMatchObject({ status: 400, json: { code: 400 } });
    sim.behavior.html = true;
    sim.behavior.status = 503;
    expect(await client.pack(request)).toMatchObject({ status: 503, json: undefined });
  });

  it('rejects a 200 that is not JSON as a bad answer', async () => {
    sim.behavior.html = true;
    const err = await client.pack(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamBadAnswerError);
    expect(err).toMatchObject({ httpStatus: 502, requestError: false, exchange: { status: 200 } });
  });

  it('times out at the deadline', async () => {
    const impatient = new PaccurateClient({ url: sim.url, timeoutMs: 200 });
    try {
      sim.behavior.hang = true;
      const err = await impatient.pack(request).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UpstreamTimeoutError);
      expect(err).toMatchObject({ httpStatus: 504, requestError: true, exchange: { status: 0 } });
      expect((err as UpstreamTimeoutError).exchange.latencyNs).toBeGreaterThan(0);
    } finally {
      await impatient.close();
    }
  });

  it('reports a closed port as unreachable', async () => {
    const closed = new PaccurateClient({ url: `http://127.0.0.1:${await freePort()}/`, timeoutMs: 2000 });
    try {
      const err = await closed.pack(request).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UpstreamUnreachableError);
      expect(err).toMatchObject({ httpStatus: 502, requestError: true, exchange: { status: 0 } });
      expect((err as Error).message).toContain('ECONNREFUSED');
    } finally {
      await closed.close();
    }
  });
});

describe('PaccurateClient against an upstream that sends its answer in pieces', () => {
  const answer = JSON.stringify({ usedKeyStem: 'Trickle001', lenItems: 3, boxes: [] });
  let server: http.Server;
  let url: string;
  let closedByClient = 0;
  /** milliseconds between the answer's pieces (after the headers, which go at once) */
  let pauseMs = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      res.on('close', () => {
        if (!res.writableFinished) closedByClient += 1;
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      const pieces = answer.match(/.{1,8}/g) ?? [];
      const next = () => {
        const piece = pieces.shift();
        if (piece === undefined) res.end();
        else if (!res.destroyed) res.write(piece, () => setTimeout(next, pauseMs));
      };
      next();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('puts the pieces together', async () => {
    pauseMs = 0;
    const client = new PaccurateClient({ url, timeoutMs: 5000 });
    try {
      const got = await client.pack(request);
      expect(got.body.toString()).toBe(answer);
      expect(got.json).toEqual(JSON.parse(answer));
    } finally {
      await client.close();
    }
  });

  it('holds one deadline for headers and body together, and drops the exchange at it', async () => {
    // every pause is shorter than the deadline, so only a deadline over the whole answer ends it
    pauseMs = 60;
    const client = new PaccurateClient({ url, timeoutMs: 300 });
    try {
      const err = await client.pack(request).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UpstreamTimeoutError);
      expect(err).toMatchObject({ httpStatus: 504, exchange: { status: 0 } });
      await waitFor(() => closedByClient === 1, { what: 'the upstream to see the exchange dropped' });
    } finally {
      await client.close();
    }
  });
});

describe('apiKeyOf', () => {
  it("reads Paccurate's apikey scheme and treats other values as the key", () => {
    expect(apiKeyOf('apikey abc123')).toBe('abc123');
    expect(apiKeyOf('APIKEY   abc123 ')).toBe('abc123');
    expect(apiKeyOf('Bearer xyz')).toBe('Bearer xyz');
    expect(apiKeyOf('  ')).toBeUndefined();
    expect(apiKeyOf(undefined)).toBeUndefined();
  });
});
