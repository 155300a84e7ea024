import { z } from 'zod';
import { QUEUE_BOARD_PATH } from '../admin/queue-board';
import {
  errorBodySchema,
  healthSchema,
  homeSchema,
  keystemHistorySchema,
  keystemPageAnswerSchema,
  summaryHistorySchema,
  packErrorBodySchema,
  packProxyErrorBodySchema,
  notReadySchema,
  readySchema,
  resetAcceptedSchema,
  statsHeaderSchema,
} from '../http/answers';
import { historyQuerySchema } from '../http/history-routes';
import { keystemParamSchema } from '../http/keydata-http';
import { pageQuerySchema } from '../http/keydata-routes';
import { STATS_HEADER } from '../http/pack-flow';
import { packRequestSchema } from '../http/read-pack-request';
import { keystemReportSchema, summaryReportSchema } from '../stats/report';
import { packStatsSchema } from '../stats/types';

/**
 * The route table: every public route, what it takes and every status it answers. The OpenAPI
 * document (document.ts) is generated from it, and the drift test holds the app to it in both
 * directions. Adding a route is one entry here; adding a field is one edit to its zod schema.
 */

/** Paccurate's own answer, passed on by `POST /pack` as Paccurate sent it. */
export const paccurateAnswerSchema = z
  .looseObject({})
  .describe(
    "Paccurate's own answer, byte for byte: its pack response on success, its error body (`code`, `message`) otherwise. See Paccurate's API reference.",
  );

/** The OpenAPI document of this service (its shape is OpenAPI's, not ours). */
export const openApiDocumentSchema = z.looseObject({}).describe('an OpenAPI 3.1 document');

/** Every answer body schema, by its name under `components.schemas`. */
export const NAMED_SCHEMAS = {
  PackRequest: packRequestSchema,
  PackStats: packStatsSchema,
  StatsHeader: statsHeaderSchema,
  PackError: packErrorBodySchema,
  Error: errorBodySchema,
  PaccurateAnswer: paccurateAnswerSchema,
  KeystemReport: keystemReportSchema,
  SummaryReport: summaryReportSchema,
  KeystemPage: keystemPageAnswerSchema,
  ResetAccepted: resetAcceptedSchema,
  Health: healthSchema,
  Ready: readySchema,
  OpenApiDocument: openApiDocumentSchema,
} as const;

export type SecurityScheme = 'paccurateApiKey' | 'adminBearer' | 'adminBasic' | 'readToken';

export const SECURITY_SCHEMES: Record<SecurityScheme, Record<string, string>> = {
  paccurateApiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description:
      '`apikey <your Paccurate API key>`, forwarded to Paccurate unchanged. Pacproxy never stores or logs the key: it keeps only a SHA-256 of it, to attribute answers without a keystem.',
  },
  adminBearer: {
    type: 'http',
    scheme: 'bearer',
    description: '`Authorization: Bearer <ADMIN_TOKEN>`. Without ADMIN_TOKEN set, admin routes answer 403.',
  },
  adminBasic: {
    type: 'http',
    scheme: 'basic',
    description: 'Basic auth with any user name and ADMIN_TOKEN as the password (for browsers).',
  },
  readToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      'Only with READ_ACCESS=token: `Authorization: Bearer <READ_TOKEN or ADMIN_TOKEN>` (or either as the basic auth password), or `Authorization: apikey <key>` whose keystem is the one asked for. With READ_ACCESS=open (the default) the statistics need no credentials.',
  },
};

/** A header of an answer. `json`: the header's value is JSON of that schema. */
export interface AnswerHeader {
  description: string;
  required: boolean;
  schema?: z.ZodType;
  json?: z.ZodType;
}

/** One documented status of a route. */
export interface Answer {
  description: string;
  /** the body's schema (a NAMED_SCHEMAS value), or alternatives it may be any of */
  body: z.ZodType | readonly z.ZodType[];
  /** default application/json */
  mediaType?: string;
  /** other media types the route answers with, when the client's Accept asks for them */
  otherContent?: Readonly<Record<string, z.ZodType>>;
  headers?: Readonly<Record<string, AnswerHeader>>;
}

export interface ApiRoute {
  method: 'get' | 'post' | 'delete';
  /** OpenAPI path template: `{name}` for a path parameter */
  path: string;
  operationId: string;
  tag: 'pack' | 'statistics' | 'operations' | 'documentation';
  summary: string;
  description?: string;
  /** alternatives: any one of these schemes is enough (`readToken` is waived by READ_ACCESS=open) */
  security?: readonly SecurityScheme[];
  pathParams?: z.ZodObject;
  query?: z.ZodObject;
  requestBody?: { description: string; schema: z.ZodType };
  /** by status: '200', or '4XX' for any status of that class not listed on its own */
  answers: Readonly<Record<string, Answer>>;
}

const statsHeader = (required: boolean, when = ''): Readonly<Record<string, AnswerHeader>> => ({
  [STATS_HEADER]: {
    description: `this request's statistics as JSON (the body of \`POST /\`; past 8 KB without the per-box-type maps, marked \`boxTypesOmitted\`)${when}`,
    required,
    json: statsHeaderSchema,
  },
});
const noStore: Readonly<Record<string, AnswerHeader>> = {
  'Cache-Control': {
    description: 'always `no-store`: statistics are read live',
    required: true,
    schema: z.literal('no-store'),
  },
};
const refusal = (description: string): Answer => ({ description, body: packErrorBodySchema });
const error = (description: string, headers?: Answer['headers']): Answer => ({
  description,
  body: errorBodySchema,
  ...(headers ? { headers } : {}),
});
/** an error the proxy itself made on `POST /pack`: `Message`/`Code` and Paccurate's `code`/`message` */
const packError = (description: string, headers?: Answer['headers']): Answer => ({
  description,
  body: packProxyErrorBodySchema,
  ...(headers ? { headers } : {}),
});
/** The statistics read rule's refusals (READ_ACCESS=token only). */
const readRefusals: Readonly<Record<string, Answer>> = {
  '401': error('READ_ACCESS=token and no credentials given', {
    'WWW-Authenticate': { description: 'the basic auth challenge', required: true, schema: z.string() },
  }),
  '403': error('READ_ACCESS=token and these credentials may not read these statistics'),
};
const storeUnavailable = error('the statistics store did not answer: retry later');
const badKeystem = error('the keystem is not 1 to 64 characters of A-Z, a-z, 0-9, _ and -');

const packBody = {
  description: 'a Paccurate pack request, as you would send it to Paccurate',
  schema: packRequestSchema,
};
const UNCOUNTED =
  'the statistics could not be recorded (Redis and the local outbox both failed): nothing was counted, retry';

/** Every public route. */
export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/',
    operationId: 'packWithStats',
    tag: 'pack',
    summary: "Forward a pack request to Paccurate; answer this request's statistics",
    description:
      'Every answered request is counted once, failures included (`requestError`, `errorResponse`); a 503 is never counted.',
    security: ['paccurateApiKey'],
    requestBody: packBody,
    answers: {
      '200': { description: 'Paccurate packed: the statistics', body: packStatsSchema },
      '400': refusal('malformed JSON, or Paccurate answered 400 (its reason in `Message`)'),
      '413': refusal('the body is larger than BODY_LIMIT'),
      '415': refusal(
        'a body that cannot be JSON (multipart), a charset other than UTF-8, or a compressed body',
      ),
      '422': refusal('not a pack request: not a JSON object, or no `itemSets` array'),
      '502': refusal('Paccurate unreachable, or its answer was not JSON'),
      '503': {
        description: `${UNCOUNTED}; or Paccurate answered 503 (passed on, not counted either), with the statistics`,
        body: [errorBodySchema, packErrorBodySchema],
      },
      '504': refusal('Paccurate did not answer within PACCURATE_TIMEOUT_MS (milliseconds)'),
      '4XX': refusal("Paccurate's own error status, passed on; its reason in `Message`"),
      '5XX': refusal("Paccurate's own error status, passed on; its reason in `Message`"),
    },
  },
  {
    method: 'post',
    path: '/pack',
    operationId: 'pack',
    tag: 'pack',
    summary: "Transparent proxy: Paccurate's own answer, the statistics in a header",
    description: `The client gets Paccurate's status, content type and body bytes; the request's statistics come in the \`${STATS_HEADER}\` header.`,
    security: ['paccurateApiKey'],
    requestBody: packBody,
    answers: {
      '200': { description: "Paccurate's answer", body: paccurateAnswerSchema, headers: statsHeader(true) },
      '400': {
        description: "malformed JSON (`Message`), or Paccurate's own 400",
        body: [packProxyErrorBodySchema, paccurateAnswerSchema],
        headers: statsHeader(true),
      },
      '413': packError('the body is larger than BODY_LIMIT', statsHeader(true)),
      '415': packError(
        'a body that cannot be JSON (multipart), a charset other than UTF-8, or a compressed body',
        statsHeader(true),
      ),
      '422': packError('not a pack request', statsHeader(true)),
      '502': packError('Paccurate unreachable, or its answer was not JSON', statsHeader(true)),
      '503': {
        description: `${UNCOUNTED} (no statistics header); or Paccurate's own 503 (passed on, not counted either)`,
        body: [packProxyErrorBodySchema, paccurateAnswerSchema],
        headers: statsHeader(false, ', absent when the statistics could not be recorded'),
      },
      '504': packError(
        'Paccurate did not answer within PACCURATE_TIMEOUT_MS (milliseconds)',
        statsHeader(true),
      ),
      '4XX': {
        description: "Paccurate's own error, passed on",
        body: paccurateAnswerSchema,
        headers: statsHeader(true),
      },
      '5XX': {
        description: "Paccurate's own error, passed on",
        body: paccurateAnswerSchema,
        headers: statsHeader(true),
      },
    },
  },
  {
    method: 'get',
    path: '/api/keydata',
    operationId: 'listKeystems',
    tag: 'statistics',
    summary: 'The keystems with statistics, in order, a page at a time',
    query: pageQuerySchema,
    security: ['readToken'],
    answers: {
      '200': { description: 'one page', body: keystemPageAnswerSchema, headers: noStore },
      '400': error(
        'limit is not a whole number from 1 to 1000, after is empty or too long, or prefix is not keystem characters',
      ),
      ...readRefusals,
      '503': storeUnavailable,
    },
  },
  {
    method: 'get',
    path: '/api/keydata/all',
    operationId: 'getSummary',
    tag: 'statistics',
    summary: 'The statistics summed across every keystem (computed in the database)',
    security: ['readToken'],
    answers: {
      '200': { description: 'the summary', body: summaryReportSchema, headers: noStore },
      ...readRefusals,
      '503': storeUnavailable,
    },
  },
  {
    method: 'get',
    path: '/api/keydata/{keystem}',
    operationId: 'getKeystem',
    tag: 'statistics',
    summary: "One keystem's statistics; averages computed at read from the stored sums",
    pathParams: z.object({ keystem: keystemParamSchema }),
    security: ['readToken'],
    answers: {
      '200': { description: "the keystem's statistics", body: keystemReportSchema, headers: noStore },
      '400': badKeystem,
      '404': error('nothing recorded for this keystem'),
      ...readRefusals,
      '503': storeUnavailable,
    },
  },
  {
    method: 'get',
    path: '/api/keydata/all/history',
    operationId: 'getSummaryHistory',
    tag: 'statistics',
    summary: 'The statistics across keystems over time, a point per hour, day, week or month',
    query: historyQuerySchema,
    security: ['readToken'],
    answers: {
      '200': {
        description:
          'every point of the range (computed in the database); CSV with format=csv or Accept: text/csv',
        body: summaryHistorySchema,
        otherContent: { 'text/csv': z.string() },
        headers: noStore,
      },
      '400': error(
        'a bad instant, from not before to, an unknown interval, format or zone, or more than 5,000 points',
      ),
      ...readRefusals,
      '503': storeUnavailable,
    },
  },
  {
    method: 'get',
    path: '/api/keydata/{keystem}/history',
    operationId: 'getKeystemHistory',
    tag: 'statistics',
    summary: "One keystem's statistics over time, a point per hour, day, week or month",
    pathParams: z.object({ keystem: keystemParamSchema }),
    query: historyQuerySchema,
    security: ['readToken'],
    answers: {
      '200': {
        description: 'every point of the range; CSV with format=csv or Accept: text/csv',
        body: keystemHistorySchema,
        otherContent: { 'text/csv': z.string() },
        headers: noStore,
      },
      '400': error(
        'a bad keystem, instant, interval, format or zone; from not before to; more than 5,000 points',
      ),
      '404': error('nothing ever recorded for this keystem'),
      ...readRefusals,
      '503': storeUnavailable,
    },
  },
  {
    method: 'delete',
    path: '/api/keydata/{keystem}',
    operationId: 'resetKeystem',
    tag: 'statistics',
    summary: "Reset a keystem's statistics",
    description:
      "The reset travels through the keystem's shard queue, in order with its statistics: it removes everything recorded before it; requests answered after this answer count afresh.",
    security: ['adminBearer', 'adminBasic'],
    pathParams: z.object({ keystem: keystemParamSchema }),
    answers: {
      '200': { description: 'the reset is accepted', body: resetAcceptedSchema },
      '400': error(
        'the keystem is not 1 to 64 characters of A-Z, a-z, 0-9, _ and -, or is `all` (every keystem, not one)',
      ),
      '401': error('no admin token given', {
        'WWW-Authenticate': { description: 'the basic auth challenge', required: true, schema: z.string() },
      }),
      '403': error('the admin token is wrong, or ADMIN_TOKEN is not set (the message says how to enable it)'),
      '404': error(
        'a keystem never seen: nothing stored, and no answer ever named it (events still in the queues count as seen)',
      ),
      '503': error('the statistics queue did not accept the reset: retry'),
    },
  },
  {
    method: 'get',
    path: '/',
    operationId: 'home',
    tag: 'operations',
    summary: 'A short page naming the service and its version, with links to its pages',
    answers: {
      '200': {
        description: 'an HTML page; JSON with `Accept: application/json`',
        body: z.string(),
        mediaType: 'text/html',
        otherContent: { 'application/json': homeSchema },
      },
    },
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tag: 'operations',
    summary: 'The process is alive',
    answers: { '200': { description: 'alive', body: healthSchema } },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'ready',
    tag: 'operations',
    summary: 'can this proxy accept and record requests now (Redis, or the outbox while it has room)',
    answers: {
      '200': {
        description: 'ready; `degraded` may still name a part (e.g. Redis down, outbox in use)',
        body: readySchema,
      },
      '503': {
        description: 'not ready: events can go neither to Redis nor to the outbox',
        body: notReadySchema,
      },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tag: 'operations',
    summary: 'Prometheus metrics (pacproxy_*; durations in seconds)',
    description: 'Unauthenticated: keep it on the internal network.',
    answers: {
      '200': {
        description: "Prometheus' text exposition format",
        body: z.string(),
        mediaType: 'text/plain',
      },
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApiDocument',
    tag: 'documentation',
    summary: 'This document',
    answers: { '200': { description: 'the OpenAPI 3.1 document', body: openApiDocumentSchema } },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'docs',
    tag: 'documentation',
    summary: 'The API reference page, rendered from this document (works offline)',
    answers: { '200': { description: 'an HTML page', body: z.string(), mediaType: 'text/html' } },
  },
];

/** Where /docs gets its files. */
export const DOCS_ASSETS_PATH = '/docs/assets';

/** Where the app serves a user interface's own files and calls, not API routes: left out of the document. */
export const UI_MOUNTS: Readonly<Record<string, string>> = {
  [QUEUE_BOARD_PATH]: "Bull Board, the operators' queue UI (admin token)",
  [DOCS_ASSETS_PATH]: 'the files of the /docs page (Swagger UI)',
  '/dashboard': 'the statistics page and its files (HTML; the statistics API read rule applies)',
};
