import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type Router } from 'express';
import { KEEP_COMPLETED_JOBS } from '../queue/queues';
import { DEAD_LETTER } from '../queue/shard';
import { requireAdmin, type AuthFailures } from './auth';
import { sameOriginPageCsp } from '../http/security-headers';

export const QUEUE_BOARD_PATH = '/admin/queues';

export interface QueueBoardOptions {
  /** every shard queue and the dead-letter queue */
  queues: readonly Queue[];
  adminToken: string | undefined;
  /** failed authentications, shared across the app's guards */
  failures?: AuthFailures;
}

/**
 * A page opened as http://user:token@host/admin/queues keeps the credentials in its document
 * URL (Chromium hides them from location.href, not from document.URL), and the base URL of
 * every fetch the board makes is resolved against it; the Fetch standard refuses a URL with
 * credentials, so the board's first fetch (its translations) throws and it shows "Loading" for
 * ever. The browser has already authenticated this origin with them, so this script, run
 * before the board's bundle, reloads the page without them. A file beside the page, as the
 * CSP allows no inline script.
 */
const CREDENTIALS_SCRIPT = 'pacproxy-url-credentials.js';
const credentialsScript = `var pageUrl = new URL(document.URL);
if (pageUrl.username || pageUrl.password) {
  pageUrl.username = '';
  pageUrl.password = '';
  location.replace(pageUrl.href);
}
`;

/**
 * The dead-letter queue has no consumer by design: its adapter reports workers as unknown
 * (null), so the board does not flag it "no workers".
 */
class DeadLetterAdapter extends BullMQAdapter {
  override async getWorkers(): Promise<null> {
    return null;
  }
}

const shardNumber = (queueName: string) => /^stats-(\d+)$/.exec(queueName)?.[1];

/** Zero-padded to `width` digits, so that the board's alphabetical sort is numeric. */
function shardLabel(name: string, width: number): string {
  const shard = shardNumber(name);
  return shard === undefined ? name : `shard ${shard.padStart(width, '0')} · ${name}`;
}

function adapterFor(queue: Queue, width: number): BullMQAdapter {
  const options = { readOnlyMode: true, allowRetries: false };
  if (queue.name === DEAD_LETTER.queue)
    return new DeadLetterAdapter(queue, {
      ...options,
      displayName: `dead letters · ${queue.name}`,
      description:
        'Jobs found in a shard queue that were no stats event, set aside by the workers with the reason ' +
        '(not counted). Nothing consumes this queue, by design.',
    });
  return new BullMQAdapter(queue, {
    ...options,
    displayName: shardLabel(queue.name, width),
    description: `Stats events of one shard, consumed by the worker holding its lease. The last ${KEEP_COMPLETED_JOBS} completed are kept.`,
  });
}

/**
 * The board's page as Bull Board renders it, with two changes: its Google Fonts link is taken
 * out (the page reaches no host but the proxy; the system font stands in), and the credentials
 * script runs before the board's bundle.
 */
function localisePage(html: string): string {
  return html
    .replace(/<link[^>]*href="https:\/\/fonts\.googleapis\.com[^>]*>\s*/g, '')
    .replace('</title>', `</title>\n    <script src="${CREDENTIALS_SCRIPT}"></script>`);
}

type RenderCallback = (err: Error | null, html?: string) => void;
type ViewEngine = (file: string, options: object, callback: RenderCallback) => void;

/** Passes every page the board renders (its one index page) through localisePage. */
function localiseRenderedPages(app: express.Express): void {
  const ejs = (app as express.Express & { engines: Record<string, ViewEngine> }).engines['.ejs'];
  if (!ejs) throw new Error("Bull Board's view engine (ejs) is not registered: its adapter changed");
  app.engine('ejs', (file, options, callback) =>
    ejs(file, options, (err, html) => callback(err, html === undefined ? html : localisePage(html))),
  );
}

/**
 * Bull Board over the stats queues, behind ADMIN_TOKEN. Read-only: emptying, cleaning or
 * retrying a stats queue by hand would lose or double-count accepted events. Shards are listed
 * in numeric order; the last completed jobs of each stay visible (KEEP_COMPLETED_JOBS).
 */
export function queueBoard(options: QueueBoardOptions): Router {
  const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_BOARD_PATH);
  const width = Math.max(...options.queues.map((q) => shardNumber(q.name)?.length ?? 1));
  createBullBoard({
    queues: options.queues.map((q) => adapterFor(q, width)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Pacproxy queues' } },
  });
  const board = serverAdapter.getRouter() as express.Express;
  localiseRenderedPages(board);
  const router = express.Router();
  router.use(requireAdmin(options.adminToken, options.failures), sameOriginPageCsp);
  router.get(`/${CREDENTIALS_SCRIPT}`, (_req, res) => {
    res.type('text/javascript').send(credentialsScript);
  });
  router.use(board);
  return router;
}
