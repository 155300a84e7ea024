import type { Logger } from '../log/logger';
import { HttpError } from './errors';

/**
 * Runs a call to a backing service; a failure is an unavailable service, not a bug: 503 with
 * `code`, the cause in the log.
 */
export function unavailable(logger: Logger, what: string, code: string) {
  return async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      logger.error({ err }, `${what} failed`);
      throw new HttpError(503, code, `${what} is unavailable, try again`);
    }
  };
}

/** Calls to the statistics store. */
export const storeCall = (logger: Logger) =>
  unavailable(logger, 'the statistics store', 'PACPROXY_ERR_STORE_UNAVAILABLE');
