import type { ErrorCode } from '../errors/registry';

export class TimeoutError extends Error {
  readonly code = 'PACPROXY_ERR_TIMEOUT' satisfies ErrorCode;
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * `promise`, or a TimeoutError after `ms`. For probes that must not hang on a dead dependency
 * (readiness, scrape-time queue depth); the slow operation itself is not cancelled.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
