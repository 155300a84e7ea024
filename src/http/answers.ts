import { z } from 'zod';
import { degradedPartSchema } from '../queue/sink';
import { historyPointSchema, keystemListItemSchema, summaryHistoryPointSchema } from '../stats/report';
import { packStatsSchema } from '../stats/types';

/**
 * The shapes of the HTTP answers that are not statistics reports: errors, acknowledgements,
 * health. Routes answer through these types; the OpenAPI document is generated from the same
 * schemas (src/openapi), and the end-to-end test holds every live answer to it.
 */

/** Every error the proxy makes itself. */
export const errorBodySchema = z.object({
  Message: z.string().describe('what went wrong, for a person'),
  Code: z
    .string()
    .describe("the error's name, e.g. PACPROXY_ERR_NOT_PACK_REQUEST (the README lists every one)"),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/**
 * `POST /pack` when the proxy itself fails the request: beside `Message` and `Code`, Paccurate's
 * own error shape (its schema `Error`), which Paccurate's clients read.
 */
export const packProxyErrorBodySchema = z.object({
  ...errorBodySchema.shape,
  code: z.number().int().describe("the HTTP status (Paccurate's `Error.code`)"),
  message: z.string().describe("the same as `Message` (Paccurate's `Error.message`)"),
});
export type PackProxyErrorBody = z.infer<typeof packProxyErrorBodySchema>;

/** `POST /` when the request was counted but got no packing: why, then its statistics. */
export const packErrorBodySchema = z.object({
  ...errorBodySchema.shape,
  ...packStatsSchema.shape,
});
export type PackErrorBody = z.infer<typeof packErrorBodySchema>;

/**
 * `POST /pack`'s X-Pacproxy-Stats: the request's statistics, without the per-box-type maps when
 * they would make the header too large for clients and proxies (pack-flow.ts).
 */
export const statsHeaderSchema = z.object({
  ...packStatsSchema.shape,
  boxTypesOmitted: z
    .literal(true)
    .optional()
    .describe(
      'present when `boxTypes` and `boxTypeStats` were left out (empty) to keep the header under 8 KB',
    ),
});
export type StatsHeader = z.infer<typeof statsHeaderSchema>;

/** `DELETE /api/keydata/{keystem}`: the reset is in the keystem's shard stream. */
export const resetAcceptedSchema = z.object({
  Message: z.string().describe('"delete request sent on keystem K"'),
});
export type ResetAccepted = z.infer<typeof resetAcceptedSchema>;

/** `GET /` with `Accept: application/json` */
export const homeSchema = z.object({
  service: z.literal('pacproxy'),
  version: z.string().describe("the running version (package.json's)"),
  links: z
    .array(z.object({ href: z.string(), title: z.string(), what: z.string() }))
    .describe('where a person goes next: dashboard, API reference, queues, metrics'),
});
export type Home = z.infer<typeof homeSchema>;

/** `GET /healthz` */
export const healthSchema = z.object({ status: z.literal('ok') });
export type Health = z.infer<typeof healthSchema>;

const degradedSchema = z
  .array(degradedPartSchema)
  .describe('each part not working as it should (redis, outbox, store), with the reason');

/** `GET /readyz` when the proxy can record requests (through Redis, or the outbox while it has room). */
export const readySchema = z.object({ status: z.literal('ready'), degraded: degradedSchema });
export type Ready = z.infer<typeof readySchema>;

/** `GET /readyz` when events can go neither to Redis nor to the outbox. */
export const notReadySchema = z.object({ ...errorBodySchema.shape, degraded: degradedSchema });
export type NotReady = z.infer<typeof notReadySchema>;

/** `GET /api/keydata`: one page of the keystems, in order. */
export const keystemPageAnswerSchema = z.object({
  keystems: z.array(z.string()).describe('keystems with something recorded, in ascending order'),
  next: z.string().nullable().describe('pass as `after` to get the next page; null on the last page'),
  items: z.array(keystemListItemSchema).describe('one per keystem of the page, in the same order'),
});
export type KeystemPageAnswer = z.infer<typeof keystemPageAnswerSchema>;

const historyFrame = {
  interval: z.enum(['hour', 'day', 'week', 'month']).describe('the width of each point'),
  tz: z.string().describe('the IANA zone whose days, ISO weeks (from Monday) and months the points follow'),
  from: z.string().describe('ISO 8601: the start of the range'),
  to: z.string().describe('ISO 8601: the end of the range (exclusive)'),
};

/** `GET /api/keydata/{keystem}/history` */
export const keystemHistorySchema = z.object({
  usedKeystem: z.string().describe('the keystem'),
  ...historyFrame,
  points: z.array(historyPointSchema).describe('every point of the range, empty ones included'),
});
export type KeystemHistory = z.infer<typeof keystemHistorySchema>;

/** `GET /api/keydata/all/history` */
export const summaryHistorySchema = z.object({
  ...historyFrame,
  points: z.array(summaryHistoryPointSchema).describe('every point of the range, empty ones included'),
});
export type SummaryHistory = z.infer<typeof summaryHistorySchema>;
