import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type Router } from 'express';
import helmet from 'helmet';
import { requireAdmin, type AuthFailures } from './auth';

export const QUEUE_BOARD_PATH = '/admin/queues';

export interface QueueBoardOptions {
  /** every shard queue and the dead-letter queue */
  queues: readonly Queue[];
  adminToken: string | undefined;
  /** failed authentications, shared across the app's guards */
  failures?: AuthFailures;
}

/**
 * The Content-Security-Policy of the board's pages, replacing the app-wide helmet default.
 * The board is a React bundle served from its own origin; what it needs beyond 'self':
 * inline styles (its loading screen and its components set style attributes), `data:` images
 * and Google Fonts, which its index page links. No inline or eval'd script is allowed.
 * `upgrade-insecure-requests` is left out: operators often reach the board over plain http
 * inside the cluster, where it would break every script and API call of the page.
 */
const boardCsp = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    baseUri: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
    fontSrc: ["'self'", 'data:', 'https://fonts.gstatic.com'],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    frameAncestors: ["'none'"],
    formAction: ["'self'"],
  },
});

/**
 * Bull Board over the stats queues, behind ADMIN_TOKEN. Read-only: emptying, cleaning or
 * retrying a stats queue by hand would lose or double-count accepted events.
 */
export function queueBoard(options: QueueBoardOptions): Router {
  const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: options.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true, allowRetries: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Pacproxy queues' } },
  });
  const router = express.Router();
  router.use(requireAdmin(options.adminToken, options.failures), boardCsp, serverAdapter.getRouter());
  return router;
}
