import type { ErrorRequestHandler, RequestHandler } from 'express';
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

/** The one error handler: every failure leaves as `{"Message", "Code"}` with the right status, its code logged. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known = err instanceof HttpError ? err : fromBodyParser(err);
    const error = known ?? httpError('PACPROXY_ERR_INTERNAL');
    const where = { code: error.code, status: error.status, method: req.method, path: req.path };
    if (!known) logger.error({ ...where, err }, 'unhandled error');
    else if (error.status >= 500) logger.warn({ ...where, err: error.cause ?? undefined }, 'request failed');
    else logger.info(where, 'request refused');
    if (res.headersSent) return res.end();
    res.status(error.status).json(errorFields(error));
  };
}
