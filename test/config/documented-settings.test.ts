import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { loadConfig, NEW_DEPLOYMENT_SHARDS } from '../../src/config';

/**
 * Every setting of the config schema (src/config/index.ts) is documented, with its default, in
 * README's settings table ("Configuration") and in .env.example, and nothing else is: the check
 * src/config/index.ts asks for.
 */

const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** The keys of `const schema = z.object({ … })` in src/config/index.ts: every variable read. */
function schemaNames(): string[] {
  const file = path.join(root, 'src/config/index.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const names: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.name.text === 'schema' &&
      node.initializer &&
      ts.isCallExpression(node.initializer)
    ) {
      const [shape] = node.initializer.arguments;
      if (shape && ts.isObjectLiteralExpression(shape)) {
        for (const p of shape.properties) if (p.name && ts.isIdentifier(p.name)) names.push(p.name.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

const names = schemaNames();
const defaults = loadConfig({}) as Record<string, unknown>;
/** How a default is written in the docs; none: empty in .env.example, — in the README. */
const written = (name: string) => (defaults[name] === undefined ? undefined : String(defaults[name]));

/** README's settings table: each variable of a row with its default (cells like `A`, `B` | 1, 2). */
function readmeSettings(): Map<string, string> {
  const readme = read('README.md');
  const start = readme.indexOf('| variable ');
  if (start < 0) throw new Error('README: no settings table');
  const rows = readme.slice(start).split('\n');
  const table = rows.slice(
    2,
    rows.findIndex((line) => !line.startsWith('|')),
  );
  const settings = new Map<string, string>();
  for (const row of table) {
    const [variables = '', values = ''] = row.split('|').slice(1, 3);
    const vars = [...variables.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!);
    const vals = vars.length > 1 ? values.split(',').map((v) => v.trim()) : [values.trim()];
    if (vals.length !== vars.length)
      throw new Error(`README settings row: ${vars.length} variables, ${vals.length} defaults`);
    vars.forEach((v, i) => settings.set(v, vals[i]!));
  }
  return settings;
}

/** .env.example's `NAME=value` lines. */
function envExample(): Map<string, string> {
  return new Map(
    [...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.trim()]),
  );
}

describe('the documented settings', () => {
  it('are read from the schema (its every key, the defaults among them)', () => {
    expect(names.length).toBeGreaterThan(30);
    expect(names).toEqual(expect.arrayContaining(Object.keys(defaults)));
  });

  it("are exactly the schema's, in README's settings table", () => {
    expect([...readmeSettings().keys()].sort()).toEqual([...names].sort());
  });

  it("show the schema's defaults in README's settings table", () => {
    const table = readmeSettings();
    const shown = names.map((name) => [name, table.get(name)]);
    const expected = names.map((name) => [
      name,
      // SHARDS: the count the deployment's store recorded; a new deployment's otherwise
      name === 'SHARDS' ? `recorded (new: ${NEW_DEPLOYMENT_SHARDS})` : (written(name) ?? '—'),
    ]);
    expect(shown).toEqual(expected);
  });

  it("are exactly the schema's in .env.example, each once", () => {
    const lines = [...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(lines.length).toBe(new Set(lines).size);
    expect([...envExample().keys()].sort()).toEqual([...names].sort());
  });

  it("show the schema's defaults in .env.example (empty where there is none), which loads as them", () => {
    const example = envExample();
    expect(names.map((name) => [name, example.get(name)])).toEqual(
      names.map((name) => [name, written(name) ?? '']),
    );
    expect(loadConfig(Object.fromEntries(example))).toEqual(defaults);
  });
});
