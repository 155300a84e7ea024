import { openApiDocument } from '../../src/openapi/document';
import { AnswerChecker, type LiveAnswer, type OpenApiDocument } from './answer-checker';
import { noPacking } from '../../src/stats/request-stats';

/** The checker the end-to-end test relies on catches each kind of drift, naming it. */
describe('AnswerChecker on the generated document', () => {
  const checker = new AnswerChecker(openApiDocument() as unknown as OpenApiDocument);
  const stats = {
    usedKeystem: '6UZlPsHAqp',
    totalItems: 1,
    totalVolume: 240,
    volumeUtilization: 0.5,
    boxTypes: { '0': 1 },
    timeStamp: '2026-11-26T14:41:49.015Z',
    cacheHit: false,
    requestError: false,
    errorResponse: false,
    statusCode: '200',
    latency: 59413170,
    ...noPacking(),
  };
  const json = (status: number, body: unknown, headers: Record<string, string> = {}): LiveAnswer => ({
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    text: JSON.stringify(body),
  });

  it('passes an answer as documented', () => {
    expect(checker.check('POST', '/', json(200, stats))).toEqual([]);
    expect(
      checker.check('POST', '/pack', json(200, { boxes: [] }, { 'x-pacproxy-stats': JSON.stringify(stats) })),
    ).toEqual([]);
  });

  it('names a field the document does not describe', () => {
    expect(checker.check('POST', '/', json(200, { ...stats, costPerItem: 1250 }))).toEqual([
      'POST / 200 body: (the whole value) has "costPerItem", which the document does not describe',
    ]);
  });

  it('names a missing or mistyped field', () => {
    const { latency: _latency, ...withoutLatency } = stats;
    expect(checker.check('POST', '/', json(200, withoutLatency)).join('\n')).toMatch(/latency/);
    expect(checker.check('POST', '/', json(200, { ...stats, statusCode: 200 })).join('\n')).toMatch(
      /\/statusCode must be string/,
    );
  });

  it('names a status the document does not list for the route', () => {
    expect(checker.check('GET', '/healthz', json(418, { Message: 'teapot' }))).toEqual([
      'GET /healthz answered 418, which the document does not list (it lists 200)',
    ]);
  });

  it('names a route the document does not have', () => {
    expect(checker.check('GET', '/api/keydata/{keystem}/boxes', json(200, {}))).toEqual([
      'GET /api/keydata/{keystem}/boxes is not in the document',
    ]);
  });

  it('checks the headers: a required one absent, a JSON one malformed or off its schema', () => {
    expect(checker.check('POST', '/pack', json(200, {}))).toEqual([
      'POST /pack 200 header X-Pacproxy-Stats is required but absent',
    ]);
    expect(checker.check('POST', '/pack', json(200, {}, { 'x-pacproxy-stats': '{' }))).toEqual([
      'POST /pack 200 header X-Pacproxy-Stats is not JSON: {',
    ]);
    const extra = JSON.stringify({ ...stats, hops: 2 });
    expect(checker.check('POST', '/pack', json(200, {}, { 'x-pacproxy-stats': extra }))).toEqual([
      'POST /pack 200 header X-Pacproxy-Stats: (the whole value) has "hops", which the document does not describe',
    ]);
  });

  it('names a content type the document does not list', () => {
    const html: LiveAnswer = { status: 200, headers: { 'content-type': 'text/html' }, text: '<p>' };
    expect(checker.check('GET', '/healthz', html)).toEqual([
      'GET /healthz 200: content type "text/html" is not documented (the document lists application/json)',
    ]);
  });
});
