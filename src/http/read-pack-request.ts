import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { nestsDeeperThan } from '../util/json-depth';
import { httpError, type HttpError } from './errors';

/** What a pack request may be: BODY_LIMIT in bytes and JSON_MAX_DEPTH. */
export interface PackRequestLimits {
  bodyBytes: number;
  jsonDepth: number;
}

/** What the proxy requires of a pack request (else 422); the rest is Paccurate's to judge. */
export const packRequestSchema = z
  .looseObject({
    itemSets: z.array(z.unknown()).describe("the items to pack (Paccurate's ItemSet objects)"),
  })
  .describe(
    "A Paccurate pack request (Paccurate's `Pack` schema), forwarded byte for byte. The proxy checks only that it is a JSON object with an `itemSets` array.",
  );

/**
 * Reads a pack request's body: a content type that can carry JSON first (415), the raw bytes
 * within the size limit (413), the nesting depth before parsing (400), one parse (400), the
 * shape of a pack request (422). The raw bytes are kept: they are what goes to Paccurate, never
 * a re-serialisation.
 */
export async function readPackBody(
  req: IncomingMessage,
  limits: PackRequestLimits,
): Promise<{ raw: Buffer; json: Record<string, unknown> }> {
  checkContentType(req.headers['content-type'], req.headers['content-encoding']);
  const raw = await readBody(req, limits.bodyBytes);
  if (nestsDeeperThan(raw, limits.jsonDepth)) {
    throw httpError(
      'PACPROXY_ERR_TOO_DEEP',
      `malformed request: JSON nested deeper than ${limits.jsonDepth} levels`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw httpError('PACPROXY_ERR_MALFORMED_JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw httpError('PACPROXY_ERR_NOT_PACK_REQUEST', 'not a pack request: the body must be a JSON object');
  }
  // packRequestSchema's rule, tested directly: zod's parse cost more than the test (issue 20)
  if (!Array.isArray((json as { itemSets?: unknown }).itemSets)) {
    throw httpError('PACPROXY_ERR_NOT_PACK_REQUEST', 'not a pack request: itemSets must be an array');
  }
  return { raw, json: json as Record<string, unknown> };
}

/** BODY_LIMIT ("512kb", "10mb", "1000") in bytes; k and m are 1024 and 1024², as in Express. */
export function parseByteSize(size: string): number {
  const match = /^(\d+)(b|kb|mb)?$/i.exec(size.trim());
  if (!match) throw new Error(`not a size: ${size}`);
  const unit = (match[2] ?? 'b').toLowerCase();
  return Number(match[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}

/**
 * Paccurate reads any body that is JSON, whatever its Content-Type (clients send none,
 * text/plain, or a form type from `curl -d`), so the proxy does too. Refused: a type that
 * cannot carry a JSON body (multipart), a charset other than UTF-8 (its bytes would be read
 * wrong), and a compressed body.
 */
function checkContentType(contentType: string | undefined, contentEncoding: string | undefined): void {
  const [type = '', ...params] = (contentType ?? '').split(';');
  if (type.trim().toLowerCase().startsWith('multipart/')) {
    throw httpError(
      'PACPROXY_ERR_NOT_JSON',
      'unsupported media type: a pack request is a JSON body, not multipart form data',
    );
  }
  for (const param of params) {
    const [name = '', value = ''] = param.split('=');
    if (name.trim().toLowerCase() === 'charset' && !/^"?(utf-?8|us-ascii)"?$/i.test(value.trim())) {
      throw httpError(
        'PACPROXY_ERR_UNSUPPORTED_ENCODING',
        `unsupported charset ${value.trim().slice(0, 40)}: send the JSON body as UTF-8`,
      );
    }
  }
  if (contentEncoding !== undefined && contentEncoding.trim().toLowerCase() !== 'identity') {
    throw httpError(
      'PACPROXY_ERR_UNSUPPORTED_ENCODING',
      'unsupported content encoding: send the body uncompressed',
    );
  }
}

/**
 * The whole body, or a 413 as soon as it is known to exceed the limit (from Content-Length, or
 * while reading). The rest is then read and thrown away up to twice the limit in all, so a
 * client that sent a little too much reads its answer and may keep its connection; past that
 * the proxy stops reading and closes the connection (see cutOff).
 */
function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    httpError('PACPROXY_ERR_BODY_TOO_LARGE', `request body too large: the limit is ${limitBytes} bytes`);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err: HttpError | null) => {
      req.off('end', onEnd).off('aborted', onAborted).off('error', onAborted);
      if (err) reject(err);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const discard = (chunk: Buffer) => {
      size += chunk.length;
      if (size > 2 * limitBytes) {
        req.off('data', discard);
        cutOff(req);
      }
    };
    const refuse = () => {
      chunks.length = 0;
      req.off('data', onData).on('data', discard);
      finish(tooLarge());
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) refuse();
      else chunks.push(chunk);
    };
    const onEnd = () => finish(null);
    const onAborted = () => finish(httpError('PACPROXY_ERR_ABORTED'));
    req.on('end', onEnd).on('aborted', onAborted).on('error', onAborted);
    if (Number(req.headers['content-length']) > limitBytes) refuse();
    else req.on('data', onData);
  });
}

/** How long a cut-off connection stays open for writing, so its client can still read the 413. */
const LINGER_MS = 1000;

/**
 * Stops reading a refused body for good: no more bytes are taken in, and the connection is
 * closed a moment later, once the 413 has gone out. (Closing it at once, with the client's
 * bytes unread, would reset the connection and lose the answer with it.)
 */
function cutOff(req: IncomingMessage): void {
  const { socket } = req;
  // both: a flowing request would resume its socket on the next read
  req.pause();
  socket.pause();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
