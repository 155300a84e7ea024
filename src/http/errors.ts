import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../log/logger';
import type { ErrorBody } from './answers';

/**
 * An error that maps to an HTTP answer `{"Message": …}` with `status`.
 * `code` names the error for logs and tests (Fastify-style), e.g. PACPROXY_ERR_NOT_PACK_REQUEST.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** 404 for every route nobody handled. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'PACPROXY_ERR_NOT_FOUND', `no route for ${req.method} ${req.path}`));
};

/** Errors thrown by Express' own body parsers, mapped to our statuses and messages. */
function fromBodyParser(err: { type?: string; status?: number }): HttpError | null {
  switch (err.type) {
    case 'entity.too.large':
      return new HttpError(413, 'PACPROXY_ERR_BODY_TOO_LARGE', 'request body too large');
    case 'entity.parse.failed':
      return new HttpError(400, 'PACPROXY_ERR_MALFORMED_JSON', 'malformed request: body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(
        415,
        'PACPROXY_ERR_UNSUPPORTED_ENCODING',
        'unsupported content encoding or charset',
      );
    case 'request.aborted':
      return new HttpError(400, 'PACPROXY_ERR_ABORTED', 'request aborted by the client');
    default:
      return null;
  }
}

/** The one error handler: every failure leaves as `{"Message": …}` with the right status. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known = err instanceof HttpError ? err : fromBodyParser(err);
    const error = known ?? new HttpError(500, 'PACPROXY_ERR_INTERNAL', 'internal error');
    if (!known) logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
    if (res.headersSent) return res.end();
    res.status(error.status).json({ Message: error.message } satisfies ErrorBody);
  };
}
