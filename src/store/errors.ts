import type { ErrorCode } from '../errors/registry';

/** A storage engine that cannot be used as configured. `code` names the case for logs and tests. */
export class StoreError extends Error {
  constructor(
    readonly code: Extract<ErrorCode, 'PACPROXY_ERR_STORE_NOT_READY' | 'PACPROXY_ERR_MONGO_STANDALONE'>,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export function notReady(): StoreError {
  return new StoreError('PACPROXY_ERR_STORE_NOT_READY', 'store used before init() or after close()');
}
