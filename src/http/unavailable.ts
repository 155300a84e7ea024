import type { ErrorCode } from '../errors/registry';
import { httpError } from './errors';

/**
 * Runs a call to a backing service; a failure is an unavailable service, not a bug: 503 with
 * `code`, the cause kept on the error (the error handler logs it).
 */
export function unavailable(what: string, code: ErrorCode) {
  return async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw httpError(code, `${what} is unavailable, try again`, err);
    }
  };
}

/** Calls to the statistics store. */
export const storeCall = unavailable('the statistics store', 'PACPROXY_ERR_STORE_UNAVAILABLE');
