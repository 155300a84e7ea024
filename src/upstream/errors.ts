import type { CacheResult } from './types';
import type { ErrorCode } from '../errors/registry';

/**
 * Why Paccurate gave no usable answer. Each carries what the stats need about the exchange
 * (Paccurate's status, 0 when none came; the time spent) and the status the client gets.
 */
export interface FailedExchange {
  /** Paccurate's HTTP status, or 0 when no answer came */
  status: number;
  latencyNs: number;
  /** ISO 8601, when the request was forwarded */
  timeStamp: string;
}

export abstract class UpstreamError extends Error {
  abstract readonly code: ErrorCode;
  /** what the proxy answers its client */
  abstract readonly httpStatus: 502 | 504;
  /** true: the request did not get through; false: Paccurate answered, but not usably */
  abstract readonly requestError: boolean;

  /** how the request cache treated the request: a cache in front of the client sets `miss` */
  cache: CacheResult = 'off';

  constructor(
    message: string,
    readonly exchange: FailedExchange,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** No complete answer within PACCURATE_TIMEOUT_MS (headers and body). */
export class UpstreamTimeoutError extends UpstreamError {
  readonly code = 'PACPROXY_ERR_UPSTREAM_TIMEOUT' satisfies ErrorCode;
  readonly httpStatus = 504;
  readonly requestError = true;
}

/** Connection refused, reset, DNS failure, TLS failure: nothing came back. */
export class UpstreamUnreachableError extends UpstreamError {
  readonly code = 'PACPROXY_ERR_UPSTREAM_UNREACHABLE' satisfies ErrorCode;
  readonly httpStatus = 502;
  readonly requestError = true;
}

/** Paccurate (or something in its place) answered a non-error status with something that is not a JSON pack answer. */
export class UpstreamBadAnswerError extends UpstreamError {
  readonly code = 'PACPROXY_ERR_UPSTREAM_BAD_ANSWER' satisfies ErrorCode;
  readonly httpStatus = 502;
  readonly requestError = false;
}

/** The answer grew past UPSTREAM_ANSWER_LIMIT: the exchange was cut, nothing of it was kept. */
export class UpstreamTooLargeError extends UpstreamError {
  readonly code = 'PACPROXY_ERR_UPSTREAM_TOO_LARGE' satisfies ErrorCode;
  readonly httpStatus = 502;
  readonly requestError = false;
}
