import type { Response } from 'express';
import { z } from 'zod';
import { isKeystem, KEYSTEM_PATTERN } from '../stats/schema';
import { httpError } from './errors';

/** What the keydata routes and their history routes share: the keystem parameter, fresh answers. */

/** The `{keystem}` of the keydata paths ("all" names the summary, never a keystem). */
export const keystemParamSchema = z
  .string()
  .regex(KEYSTEM_PATTERN)
  .describe('a keystem: 1 to 64 characters of A-Z, a-z, 0-9, _ and -');

export function parseKeystem(value: unknown): string {
  if (!isKeystem(value)) throw httpError('PACPROXY_ERR_BAD_KEYSTEM');
  return value;
}

/** Aggregates are read live from the store: no cache may keep an old answer. */
export function noStore(res: Response): Response {
  return res.setHeader('Cache-Control', 'no-store');
}

export function sendFresh(res: Response, body: unknown): void {
  noStore(res).json(body);
}
