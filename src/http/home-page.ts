import type { RequestHandler } from 'express';
import { version } from '../../package.json';
import type { Home } from './answers';

/** Where a person opening the proxy's address goes next. */
export const HOME_LINKS = [
  { href: '/dashboard', title: 'Dashboard', what: 'statistics per facility' },
  { href: '/docs', title: 'API reference', what: 'routes, fields and errors' },
  { href: '/admin/queues', title: 'Queues', what: 'the shard queues (admin token)' },
  { href: '/metrics', title: 'Metrics', what: 'Prometheus exposition' },
] as const;

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Pacproxy ${version}</title></head>
<body>
<h1>Pacproxy ${version}</h1>
<p>A statistics proxy for the Paccurate packing API. Point your Paccurate client at <code>/pack</code>.</p>
<ul>
${HOME_LINKS.map((l) => `<li><a href="${l.href}">${l.title}</a>: ${l.what}</li>`).join('\n')}
</ul>
</body>
</html>
`;

/**
 * GET /: a short page naming the service and its version, with links (JSON for a client that
 * asks for it), so a browser or a probe opening the bare address gets an answer, not a 404.
 */
export const homePage: RequestHandler = (req, res) => {
  res.setHeader('Cache-Control', 'no-store');
  if (req.accepts(['html', 'json']) === 'json') {
    res.json({ service: 'pacproxy', version, links: [...HOME_LINKS] } satisfies Home);
  } else {
    res.type('html').send(PAGE);
  }
};
