import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import helmet from 'helmet';
import { httpError } from '../http/errors';
import { DASHBOARD_ASSETS_DIR, DASHBOARD_ENTRY } from './assets';
import { dashboardPage, type PageSettings } from './page';

export interface DashboardRoutesOptions extends PageSettings {
  /** the built browser files (default: dist/dashboard, made by `npm run build`) */
  assetsDir?: string;
  /** who may open the page: the statistics API's read rule (readAccess); default open */
  readGuard?: express.RequestHandler;
}

/**
 * `GET /dashboard`, `GET /dashboard/keystem/{keystem}` and the page's assets under
 * /dashboard/assets. The page reads only the public statistics API; the page itself is behind
 * the same read rule (its static assets hold no data and are not).
 */
export function dashboardRoutes({
  assetsDir = DASHBOARD_ASSETS_DIR,
  readGuard = (_req, _res, next) => next(),
  ...settings
}: DashboardRoutesOptions): Router {
  const router = Router();
  const html = dashboardPage(settings);
  const built = () => existsSync(path.join(assetsDir, DASHBOARD_ENTRY));

  const page: express.RequestHandler = (_req, _res, next) => {
    if (built()) return next();
    next(httpError('PACPROXY_ERR_DASHBOARD_NOT_BUILT'));
  };
  // Opened over plain HTTP at a LAN address, a page with helmet's default CSP would have its
  // assets fetched over https (upgrade-insecure-requests) and fail; and the browser ignores COOP
  // there, logging an error each time. The page opens no windows, so it loses nothing without it.
  const plainHttpHeaders = helmet.contentSecurityPolicy({ directives: { upgradeInsecureRequests: null } });
  router.get(
    ['/dashboard', '/dashboard/keystem/:keystem'],
    readGuard,
    page,
    plainHttpHeaders,
    (_req, res) => {
      res.removeHeader('Cross-Origin-Opener-Policy');
      res.setHeader('Cache-Control', 'no-cache');
      res.type('html').send(html);
    },
  );
  router.use('/dashboard/assets', express.static(assetsDir, { fallthrough: true, index: false, maxAge: 0 }));
  return router;
}
