import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { httpError } from '../http/errors';

/**
 * Guards admin routes (Bull Board, DELETE on keydata) with ADMIN_TOKEN, given as
 * `Authorization: Bearer <token>` or as the password of basic auth (so a browser can log in).
 * No token configured: refuse with 403 and say how to enable admin routes.
 */
export function requireAdmin(adminToken: string | undefined): RequestHandler {
  const expected = adminToken ? Buffer.from(adminToken) : null;
  return (req, res, next) => {
    if (!expected) {
      return next(httpError('PACPROXY_ERR_ADMIN_DISABLED'));
    }
    const presented = presentedToken(req.headers.authorization);
    if (presented === null) {
      res.setHeader('WWW-Authenticate', 'Basic realm="pacproxy admin", charset="UTF-8"');
      return next(httpError('PACPROXY_ERR_ADMIN_UNAUTHENTICATED'));
    }
    const given = Buffer.from(presented);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return next(httpError('PACPROXY_ERR_ADMIN_FORBIDDEN'));
    }
    next();
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
