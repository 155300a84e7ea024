import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ERRORS, type ErrorCode } from '../../src/errors/registry';
import { API_ROUTES, UI_MOUNTS } from '../../src/openapi/routes';

/**
 * The statuses a route can raise are documented: every `PACPROXY_ERR_…` code named in the code
 * an Express route runs — its handlers and the helpers they call or pass, followed by name
 * through their module and its relative imports — has its status among that route's statuses in
 * the route table (src/openapi/routes.ts). The source is parsed, not run: a code raised through
 * a value the parse cannot follow (a guard handed in from elsewhere) is the live-answer test's
 * (live-answers.process.test.ts) to catch; a code named here but never raised still has to be
 * documented, which errs on the safe side.
 */

const root = path.resolve(__dirname, '../..');
const ROUTE_METHODS = new Set(['get', 'post', 'delete', 'put', 'patch']);
const CODE = /^PACPROXY_ERR_[A-Z_]+$/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory())
      return full.endsWith(path.join('dashboard', 'web')) ? [] : sources(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

interface Module {
  file: string;
  source: ts.SourceFile;
  /** every declaration of a name anywhere in the module: functions, variables, their bodies */
  declared: Map<string, ts.Node[]>;
  /** local name -> [module file, exported name] of relative imports */
  imported: Map<string, [string, string]>;
}

const modules = new Map<string, Module>();

function moduleOf(file: string): Module {
  const known = modules.get(file);
  if (known) return known;
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const declared = new Map<string, ts.Node[]>();
  const imported = new Map<string, [string, string]>();
  const declare = (name: string, node: ts.Node) => declared.set(name, [...(declared.get(name) ?? []), node]);
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionDeclaration(node) && node.name) declare(node.name.text, node);
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      declare(node.name.text, node.initializer);
    }
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const spec = node.moduleSpecifier.text;
      const target = [`${spec}.ts`, path.join(spec, 'index.ts')]
        .map((p) => path.resolve(path.dirname(file), p))
        .find((p) => spec.startsWith('.') && existsSync(p));
      const named = node.importClause?.namedBindings;
      if (target && named && ts.isNamedImports(named)) {
        for (const el of named.elements)
          imported.set(el.name.text, [target, (el.propertyName ?? el.name).text]);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  const module = { file, source, declared, imported };
  modules.set(file, module);
  return module;
}

/**
 * The codes named in `node` and in what it calls by name, followed through its module and its
 * relative imports (a name that is a variable whose value is another name is followed on).
 */
function codesIn(node: ts.Node, module: Module, into: Set<ErrorCode>, followed: Set<string>): void {
  const follow = (name: string, from: Module) => {
    const key = `${from.file}#${name}`;
    if (followed.has(key)) return;
    followed.add(key);
    const local = from.declared.get(name);
    if (local) {
      for (const decl of local) codesIn(decl, from, into, followed);
      return;
    }
    const imp = from.imported.get(name);
    if (imp) follow(imp[1], moduleOf(imp[0]));
  };
  if (ts.isIdentifier(node)) return follow(node.text, module);
  const visit = (n: ts.Node): void => {
    if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && CODE.test(n.text)) {
      if (n.text in ERRORS) into.add(n.text as ErrorCode);
    }
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) follow(n.expression.text, module);
    ts.forEachChild(n, visit);
  };
  visit(node);
}

/** `router.get('/path', …handlers)` and `app.get(…)` with literal paths, in OpenAPI's syntax. */
function expressRoutes(): { route: string; codes: Set<ErrorCode> }[] {
  const found: { route: string; codes: Set<ErrorCode> }[] = [];
  for (const file of sources(path.join(root, 'src'))) {
    const module = moduleOf(file);
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        ROUTE_METHODS.has(node.expression.name.text) &&
        node.arguments.length > 1
      ) {
        const [first, ...handlers] = node.arguments;
        const paths = first && ts.isArrayLiteralExpression(first) ? [...first.elements] : [first];
        const literal = paths.filter((p): p is ts.StringLiteral => !!p && ts.isStringLiteral(p));
        if (literal.length > 0 && literal.length === paths.length) {
          const codes = new Set<ErrorCode>();
          for (const handler of handlers) codesIn(handler, module, codes, new Set());
          const method = node.expression.name.text.toUpperCase();
          for (const p of literal) {
            found.push({ route: `${method} ${p.text.replace(/:(\w+)/g, '{$1}')}`, codes });
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(module.source);
  }
  return found;
}

const documented = new Map(
  API_ROUTES.map((r) => [`${r.method.toUpperCase()} ${r.path}`, Object.keys(r.answers)]),
);
const isUi = (route: string) =>
  Object.keys(UI_MOUNTS).some((mount) => {
    const p = route.split(' ')[1]!;
    return p === mount || p.startsWith(`${mount}/`);
  });

describe('the statuses a route can raise', () => {
  const routes = expressRoutes();

  it('finds the Express routes of the API and the codes they raise', () => {
    const names = routes.map((r) => r.route);
    for (const route of [
      'GET /api/keydata/{keystem}',
      'DELETE /api/keydata/{keystem}',
      'GET /api/keydata/all/history',
    ]) {
      expect(names).toContain(route);
    }
    const del = routes.find((r) => r.route === 'DELETE /api/keydata/{keystem}');
    expect([...(del?.codes ?? [])].sort()).toEqual(
      expect.arrayContaining([
        'PACPROXY_ERR_ADMIN_DISABLED',
        'PACPROXY_ERR_BAD_KEYSTEM',
        'PACPROXY_ERR_QUEUE_UNAVAILABLE',
        'PACPROXY_ERR_UNKNOWN_KEYSTEM',
      ]),
    );
  });

  it('are each among the statuses the route table lists for that route', () => {
    const undocumented: string[] = [];
    for (const { route, codes } of routes) {
      const statuses = documented.get(route);
      if (!statuses) {
        if (!isUi(route) && codes.size > 0) undocumented.push(`${route}: not in the route table`);
        continue;
      }
      for (const code of codes) {
        const status = ERRORS[code].status;
        if (status === null) continue;
        const listed = statuses.includes(String(status)) || statuses.includes(`${String(status)[0]}XX`);
        if (!listed) undocumented.push(`${route} ${status} (${code})`);
      }
    }
    expect(undocumented).toEqual([]);
  });
});
