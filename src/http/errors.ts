import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { ERRORS, type ErrorCode } from '../errors/registry';
import type { Logger } from '../log/logger';
import type { ErrorBody } from './answers';

/**
 * An error that maps to an HTTP answer `{"Message": …, "Code": …}` with `status`.
 * `code` names the error (see src/errors/registry.ts), e.g. PACPROXY_ERR_NOT_PACK_REQUEST.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpError';
  }
}

/** The registry's error `code` as an HttpError, with a more precise message when one is given. */
export function httpError(code: ErrorCode, message?: string, cause?: unknown): HttpError {
  const spec = ERRORS[code];
  if (spec.status === null) throw new Error(`${code} is not answered over HTTP`);
  return new HttpError(
    spec.status,
    code,
    message ?? spec.message,
    cause === undefined ? undefined : { cause },
  );
}

/** The body of an error answer: the message, and the code beside it. */
export function errorFields(error: { code: string; message: string }): ErrorBody {
  return { Message: error.message, Code: error.code };
}

/** 404 for every route nobody handled. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(httpError('PACPROXY_ERR_NOT_FOUND', `no route for ${req.method} ${req.path}`));
};

/** Errors thrown by Express' own body parsers, mapped to our statuses and messages. */
function fromBodyParser(err: { type?: string; status?: number }): HttpError | null {
  switch (err.type) {
    case 'entity.too.large':
      return httpError('PACPROXY_ERR_BODY_TOO_LARGE', 'request body too large');
    case 'entity.parse.failed':
      return httpError('PACPROXY_ERR_MALFORMED_JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return httpError('PACPROXY_ERR_UNSUPPORTED_ENCODING');
    case 'request.aborted':
      return httpError('PACPROXY_ERR_ABORTED');
    default:
      return null;
  }
}

/** The 4xx status an error of Express or a library carries (`status`, else `statusCode`), if any. */
function clientStatus(err: unknown): number | null {
  if (typeof err !== 'object' || err === null) return null;
  const { status, statusCode } = err as { status?: unknown; statusCode?: unknown };
  const carried = typeof status === 'number' ? status : statusCode;
  return typeof carried === 'number' && Number.isInteger(carried) && carried >= 400 && carried < 500
    ? carried
    : null;
}

/**
 * Client errors raised by Express' router (a route parameter that is not valid percent-encoding)
 * or its static file server (send: ranges, conditional requests), mapped by their status; any
 * other 4xx keeps its status under PACPROXY_ERR_CLIENT_ERROR. 5xx and errors without a status
 * are not client errors: null.
 */
function fromLibrary(err: unknown, req: { method: string; path: string }): HttpError | null {
  const status = clientStatus(err);
  if (status === null) return null;
  switch (status) {
    case 400:
      if (err instanceof URIError) return httpError('PACPROXY_ERR_BAD_URL_ENCODING', undefined, err);
      break;
    case 404:
      return httpError('PACPROXY_ERR_NOT_FOUND', `no route for ${req.method} ${req.path}`, err);
    case 412:
      return httpError('PACPROXY_ERR_PRECONDITION_FAILED', undefined, err);
    case 416:
      return httpError('PACPROXY_ERR_RANGE_NOT_SATISFIABLE', undefined, err);
  }
  // the library's own message may name files or echo the request: the status' reason only
  const reason = STATUS_CODES[status] ?? String(status);
  return new HttpError(status, 'PACPROXY_ERR_CLIENT_ERROR', `request refused: ${reason}`, { cause: err });
}

/** Headers a failed attempt may have set for the body it meant to send (send sets them before it checks). */
const REPRESENTATION_HEADERS = [
  'Content-Type',
  'Content-Length',
  'Content-Encoding',
  'Content-Language',
  'Content-Range',
  'Content-Disposition',
  'ETag',
  'Last-Modified',
];

/** The headers a library error asks for (http-errors' `headers`, e.g. send's Content-Range on a 416). */
function setErrorHeaders(res: Response, err: unknown): void {
  const headers = (err as { headers?: unknown }).headers;
  if (typeof headers !== 'object' || headers === null) return;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string' || typeof value === 'number') res.setHeader(name, String(value));
  }
}

/** The one error handler: every failure leaves as `{"Message", "Code"}` with the right status, its code logged. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const fromUs = err instanceof HttpError ? err : fromBodyParser(err);
    const fromLib = fromUs ? null : fromLibrary(err, req);
    const known = fromUs ?? fromLib;
    const error = known ?? httpError('PACPROXY_ERR_INTERNAL');
    const where = { code: error.code, status: error.status, method: req.method, path: req.path };
    if (!known) logger.error({ ...where, err }, 'unhandled error');
    else if (error.status >= 500) logger.warn({ ...where, err: error.cause ?? undefined }, 'request failed');
    else logger.info(where, 'request refused');
    if (res.headersSent) return res.end();
    for (const name of REPRESENTATION_HEADERS) res.removeHeader(name);
    if (fromLib) setErrorHeaders(res, err);
    res.status(error.status).json(errorFields(error));
  };
}
