import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { ErrorCode } from '../errors/registry';
import { httpError } from '../http/errors';
import { apiKeyOf } from '../upstream/api-key';
import { UNKNOWN_KEYSTEM, type KeystemMemory } from '../upstream/keystem-memory';

/** Which guard a failed authentication was refused by (the label of the failures metric). */
export type Realm = 'admin' | 'read';

export interface AuthFailuresOptions {
  /** called once per failed authentication (the metric) */
  onFailure?: (realm: Realm) => void;
  /** delay per recent failure of one client address (default 100 ms) */
  delayPerFailureMs?: number;
  /** the longest delay (default 2 s) */
  maxDelayMs?: number;
  /** failures older than this are forgotten (default 1 minute) */
  windowMs?: number;
  /** client addresses remembered at once; the oldest go first (default 10,000) */
  maxAddresses?: number;
}

/**
 * Failed authentications per client address: each one is counted, and answered only after a
 * delay that grows with that address's recent failures, so guessing a token costs time.
 */
export class AuthFailures {
  private readonly recent = new Map<string, { failures: number; since: number }>();
  private readonly delayPerFailureMs: number;
  private readonly maxDelayMs: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;

  constructor(private readonly options: AuthFailuresOptions = {}) {
    this.delayPerFailureMs = options.delayPerFailureMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 2000;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** Records a failure of `address`; answers how long to wait before answering it. */
  record(address: string, realm: Realm, now = performance.now()): number {
    this.options.onFailure?.(realm);
    const entry = this.recent.get(address);
    const failures = entry && now - entry.since < this.windowMs ? entry.failures + 1 : 1;
    this.recent.delete(address);
    this.recent.set(address, { failures, since: entry && failures > 1 ? entry.since : now });
    if (this.recent.size > this.maxAddresses) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    return Math.min(this.maxDelayMs, failures * this.delayPerFailureMs);
  }

  /** Fails the request with `code` after the delay its address has earned. */
  refuse(req: Request, realm: Realm, code: ErrorCode, next: (err: unknown) => void): void {
    const delay = this.record(req.ip ?? req.socket.remoteAddress ?? 'unknown', realm);
    setTimeout(() => next(httpError(code)), delay);
  }
}

/**
 * Whether a presented token is the expected one, in time that depends on neither: both are
 * hashed first, so the comparison neither stops early nor reveals the token's length.
 */
export function tokenMatches(presented: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * Guards admin routes (Bull Board, DELETE on keydata) with ADMIN_TOKEN, given as
 * `Authorization: Bearer <token>` or as the password of basic auth (so a browser can log in).
 * No token configured: refuse with 403 and say how to enable admin routes.
 */
export function requireAdmin(adminToken: string | undefined, failures = new AuthFailures()): RequestHandler {
  return (req, res, next) => {
    if (!adminToken) return next(httpError('PACPROXY_ERR_ADMIN_DISABLED'));
    const presented = presentedToken(req.headers.authorization);
    if (presented === null) {
      res.setHeader('WWW-Authenticate', 'Basic realm="pacproxy admin", charset="UTF-8"');
      return next(httpError('PACPROXY_ERR_ADMIN_UNAUTHENTICATED'));
    }
    if (!tokenMatches(presented, adminToken)) {
      return failures.refuse(req, 'admin', 'PACPROXY_ERR_ADMIN_FORBIDDEN', next);
    }
    next();
  };
}

export interface ReadAccessOptions {
  /** READ_ACCESS: open (anyone reads) or token */
  mode: 'open' | 'token';
  readToken: string | undefined;
  adminToken: string | undefined;
  /** which keystem an API key was last seen with: a facility reads its own numbers with its key */
  keystems: KeystemMemory;
  failures?: AuthFailures;
}

/**
 * The one guard of every statistics read (the keydata API, and the dashboard and history
 * routes mounted behind it). READ_ACCESS=token: READ_TOKEN or ADMIN_TOKEN (bearer or basic
 * auth), or `Authorization: apikey …` whose remembered keystem is the route's `:keystem`.
 */
export function readAccess(options: ReadAccessOptions): RequestHandler {
  const failures = options.failures ?? new AuthFailures();
  const tokens = [options.readToken, options.adminToken].filter((t): t is string => t !== undefined);
  return (req, res, next) => {
    if (options.mode === 'open') return next();
    const header = req.headers.authorization;
    const apiKey = header !== undefined && /^\s*apikey\s/i.test(header) ? apiKeyOf(header) : undefined;
    if (apiKey !== undefined) {
      const asked = req.params.keystem;
      options.keystems.recall(apiKey).then((own) => {
        if (asked !== undefined && own !== UNKNOWN_KEYSTEM && own === asked) next();
        else failures.refuse(req, 'read', 'PACPROXY_ERR_READ_FORBIDDEN', next);
      }, next);
      return;
    }
    const presented = presentedToken(header);
    if (presented === null) {
      res.setHeader('WWW-Authenticate', 'Basic realm="pacproxy statistics", charset="UTF-8"');
      return next(httpError('PACPROXY_ERR_READ_UNAUTHENTICATED'));
    }
    // every token is compared, so the time taken does not say which one matched
    const matched = tokens.map((t) => tokenMatches(presented, t)).includes(true);
    if (matched) next();
    else failures.refuse(req, 'read', 'PACPROXY_ERR_READ_FORBIDDEN', next);
  };
}

function presentedToken(header: string | undefined): string | null {
  if (!header) return null;
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value.trim() || null;
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) || null : null;
  }
  return null;
}
