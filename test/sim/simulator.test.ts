import { readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { DEFAULT_BEHAVIOR, createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { waitFor } from '../helpers/wait';

const fixtureBody = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'));
const API_KEY = '6UZlPsHAqpSECRETSECRETSECRET';

describe('Paccurate simulator over HTTP', () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await createSimulator();
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    Object.assign(sim.behavior, DEFAULT_BEHAVIOR);
  });

  async function post(body: Buffer | string, headers: Record<string, string> = {}) {
    const res = await request(sim.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    const text = await res.body.text();
    return { status: res.statusCode, contentType: String(res.headers['content-type']), text };
  }

  it('answers the fixture request with the fixture numbers and the key stem', async () => {
    const res = await post(fixtureBody, { authorization: `apikey ${API_KEY}` });
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/json/);
    const answer = JSON.parse(res.text);
    expect(answer).toMatchObject({
      lenItems: 1,
      totalVolume: 240,
      totalVolumeUtilization: 0.5,
      usedKeyStem: '6UZlPsHAqp',
      boxes: [{ box: { boxType: { refId: 0, name: '5x6x8' }, lenItems: 1 } }],
    });
    expect(answer.svgs).toHaveLength(1);
    expect(sim.lastRequest?.body.equals(fixtureBody)).toBe(true);
    expect(sim.lastAnswer?.body.toString()).toBe(res.text);
    expect(sim.lastRequest?.headers.authorization).toBe(`apikey ${API_KEY}`);
  });

  it('leaves usedKeyStem out without a key and svgs out when images are off', async () => {
    const body = JSON.stringify({ ...JSON.parse(fixtureBody.toString()), includeImages: false });
    const answer = JSON.parse((await post(body)).text);
    expect(answer).not.toHaveProperty('usedKeyStem');
    expect(answer).not.toHaveProperty('svgs');
    expect(answer.lenItems).toBe(1);
  });

  it('answers 400 with a JSON reason for malformed JSON and for a request it cannot pack', async () => {
    for (const body of ['{"itemSets": [', '{"itemSets": 3}']) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toEqual({ code: 400, message: expect.any(String) });
    }
  });

  it('answers a forced status with a Paccurate-like error body', async () => {
    sim.behavior.status = 503;
    const res = await post(fixtureBody);
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toEqual({ code: 503, message: 'simulated 503: service unavailable' });
  });

  it('answers 503 at the configured error rate', async () => {
    sim.behavior.errorRate = 1;
    expect((await post(fixtureBody)).status).toBe(503);
  });

  it('answers an HTML page when asked to', async () => {
    sim.behavior.html = true;
    const res = await post(fixtureBody);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/html/);
    expect(res.text).toMatch(/^<!doctype html>/);
    sim.behavior.status = 502;
    const gatewayPage = await post(fixtureBody);
    expect(gatewayPage.status).toBe(502);
    expect(gatewayPage.contentType).toMatch(/^text\/html/);
  });

  it('answers after its latency', async () => {
    sim.behavior.latencyMs = 50;
    expect((await post(fixtureBody)).status).toBe(200);
  });

  it('never answers when hanging, and still closes', async () => {
    sim.behavior.hang = true;
    const before = sim.received;
    const pending = post(fixtureBody);
    const outcome = pending.then(
      () => 'answered',
      () => 'dropped',
    );
    // the request arrived and stays unanswered until close() drops the connection
    await waitFor(() => sim.received > before, { what: 'the simulator to receive the request' });
    await sim.close();
    expect(await outcome).toBe('dropped');
    sim = await createSimulator();
  });
});
