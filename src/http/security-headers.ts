import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The headers a header-only middleware (helmet) sets, captured once by running it against a
 * recording response. The hot path writes them with its answer instead of running the
 * middleware per request; the middleware stays the single source of what they are.
 */
export function headersOf(middleware: RequestHandler): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let called = false;
  // helmet's middleware is synchronous (checked below); its declared return type is not
  void middleware(
    {} as IncomingMessage as never,
    recorder as unknown as ServerResponse as never,
    () => (called = true),
  );
  if (!called) throw new Error('the middleware did not finish synchronously: its headers cannot be captured');
  return Object.freeze(headers);
}

/**
 * The Content-Security-Policy of the UI pages the proxy serves itself (/docs, Bull Board): their
 * bundles set style attributes and use `data:` images and fonts; everything comes from this
 * origin; no inline or eval'd script. No `upgrade-insecure-requests`: operators often open these
 * pages over plain http inside a cluster, where it would break every script and API call.
 */
export const sameOriginPageCsp: RequestHandler = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    baseUri: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    fontSrc: ["'self'", 'data:'],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    frameAncestors: ["'none'"],
    formAction: ["'self'"],
  },
});
