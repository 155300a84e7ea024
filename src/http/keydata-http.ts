import type { Response } from 'express';
import { HttpError } from './errors';

/** What the keydata routes and their history routes share: the keystem parameter, fresh answers. */

const KEYSTEM = /^[A-Za-z0-9_-]{1,64}$/;

export function parseKeystem(value: unknown): string {
  if (typeof value !== 'string' || !KEYSTEM.test(value)) {
    throw new HttpError(
      400,
      'PACPROXY_ERR_BAD_KEYSTEM',
      'a keystem is 1 to 64 characters of A-Z, a-z, 0-9, _ and -',
    );
  }
  return value;
}

/** Aggregates are read live from the store: no cache may keep an old answer. */
export function noStore(res: Response): Response {
  return res.setHeader('Cache-Control', 'no-store');
}

export function sendFresh(res: Response, body: unknown): void {
  noStore(res).json(body);
}
