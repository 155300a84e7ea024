import type { Express } from 'express';

/**
 * What an Express 5 app serves, read from its router (router 2.x layers): `GET /api/keydata/{keystem}`
 * for each route (OpenAPI's path syntax), `POST /` for what a middleware declares in `paths`
 * (the pack routes), and `USE /prefix` for whatever is mounted under a path (a UI's files and calls).
 */

interface Layer {
  rawPath?: string | string[];
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[]; paths?: readonly string[] };
}

const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

function walk(stack: readonly Layer[], prefix: string, into: Set<string>): void {
  for (const layer of stack) {
    if (layer.route) {
      for (const path of [layer.route.path].flat()) {
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') into.add(`${method.toUpperCase()} ${openApiPath(prefix + path)}`);
        }
      }
      continue;
    }
    const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    if (mount) into.add(`USE ${prefix}${mount}`);
    if (layer.handle.stack) walk(layer.handle.stack, prefix + mount, into);
    else if (layer.handle.paths) for (const path of layer.handle.paths) into.add(`POST ${prefix}${path}`);
  }
}

export function registeredRoutes(app: Express): string[] {
  const { router } = app as unknown as { router: { stack: Layer[] } };
  const routes = new Set<string>();
  walk(router.stack, '', routes);
  return [...routes].sort();
}
