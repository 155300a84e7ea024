import { REQUEST_LABELS, type RequestLabels } from './cache-key';
import type { ErrorCode } from '../errors/registry';

/** The bytes of a Paccurate answer as the proxy got them: what one cache value keeps. */
export interface StoredAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** What one cache value holds besides the body. `bytes` lets a truncated value be detected. */
interface EntryHeader {
  v: 1;
  status: number;
  contentType: string;
  bytes: number;
  /** the answer carried the request's labels, so a hit must put the new request's in */
  echoesLabels: boolean;
}

export class CacheEntryError extends Error {
  readonly code = 'PACPROXY_ERR_CACHE_ENTRY' satisfies ErrorCode;
  constructor(message: string) {
    super(message);
    this.name = 'CacheEntryError';
  }
}

/** One Redis value: a JSON header line, then the body bytes untouched. */
export function encodeEntry(answer: StoredAnswer, echoesLabels: boolean): Buffer {
  const header: EntryHeader = {
    v: 1,
    status: answer.status,
    contentType: answer.contentType,
    bytes: answer.body.length,
    echoesLabels,
  };
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), answer.body]);
}

/** Reads a value written by `encodeEntry`; throws CacheEntryError on anything else. */
export function decodeEntry(raw: Buffer): { answer: StoredAnswer; echoesLabels: boolean } {
  const newline = raw.indexOf(0x0a);
  if (newline < 0) throw new CacheEntryError('cache entry has no header');
  let header: Partial<EntryHeader>;
  try {
    header = JSON.parse(raw.subarray(0, newline).toString('utf8'));
  } catch {
    throw new CacheEntryError('cache entry header is not JSON');
  }
  const body = raw.subarray(newline + 1);
  if (
    header?.v !== 1 ||
    !Number.isInteger(header.status) ||
    typeof header.contentType !== 'string' ||
    header.bytes !== body.length
  ) {
    throw new CacheEntryError('cache entry header does not match its body');
  }
  return {
    answer: { status: header.status as number, contentType: header.contentType, body: Buffer.from(body) },
    echoesLabels: header.echoesLabels === true,
  };
}

/** True when a parsed answer carries any request label at its top level. */
export function echoesLabels(parsedAnswer: unknown): boolean {
  return (
    parsedAnswer !== null &&
    typeof parsedAnswer === 'object' &&
    REQUEST_LABELS.some((label) => label in parsedAnswer)
  );
}

/** A cached answer with the new request's labels in place of the ones it was stored with. */
export function relabel(answer: Record<string, unknown>, labels: RequestLabels): Record<string, unknown> {
  const relabelled = { ...answer };
  for (const label of REQUEST_LABELS) {
    if (label in labels) relabelled[label] = labels[label];
    else delete relabelled[label];
  }
  return relabelled;
}
