import express, { Router } from 'express';
import path from 'node:path';
import { openApiDocument } from './document';
import { DOCS_ASSETS_PATH } from './routes';
import { sameOriginPageCsp } from '../http/security-headers';

/** The Swagger UI files /docs needs, served by the proxy itself: no CDN, works offline. */
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_UI_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js'];

/** The page: Swagger UI's own bundle, started by a script file (the CSP allows no inline script). */
const DOCS_PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Pacproxy API</title>
    <link rel="stylesheet" href="${DOCS_ASSETS_PATH}/swagger-ui.css" />
  </head>
  <body>
    <main id="swagger-ui"></main>
    <script src="${DOCS_ASSETS_PATH}/swagger-ui-bundle.js"></script>
    <script src="${DOCS_ASSETS_PATH}/swagger-ui-standalone-preset.js"></script>
    <script src="${DOCS_ASSETS_PATH}/start.js"></script>
  </body>
</html>
`;

const START_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'BaseLayout',
  validatorUrl: null,
});
`;

/** The document as served: built on first request, once per process (it never changes). */
let documentJson: string | undefined;

/** `GET /openapi.json`, `GET /docs` and the page's files. */
export function docsRoutes(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    documentJson ??= JSON.stringify(openApiDocument());
    res.type('application/json').send(documentJson);
  });
  router.get('/docs', sameOriginPageCsp, (_req, res) => {
    res.type('html').send(DOCS_PAGE);
  });
  router.get(`${DOCS_ASSETS_PATH}/start.js`, (_req, res) => {
    res.type('text/javascript').send(START_SCRIPT);
  });
  router.use(
    DOCS_ASSETS_PATH,
    // only GET and HEAD reach the file server: it would answer another method with a bare 405
    (req, _res, next) =>
      (req.method === 'GET' || req.method === 'HEAD') && SWAGGER_UI_FILES.includes(req.path.slice(1))
        ? next()
        : next('router'),
    express.static(SWAGGER_UI_DIR, { index: false, fallthrough: false }),
  );
  return router;
}
