import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ERRORS } from '../../src/errors/registry';
import { httpError } from '../../src/http/errors';

const root = path.join(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

describe('the error registry', () => {
  it('names every PACPROXY_ERR_ code the code base raises', () => {
    const used = new Set<string>();
    for (const file of [...sources(path.join(root, 'src')), ...sources(path.join(root, 'workers'))]) {
      for (const match of readFileSync(file, 'utf8').matchAll(/PACPROXY_ERR_[A-Z_]+/g)) used.add(match[0]);
    }
    expect([...used].filter((code) => !(code in ERRORS))).toEqual([]);
  });

  it('is listed in the README, each code with its status', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    for (const [code, { status }] of Object.entries(ERRORS)) {
      expect(readme).toMatch(new RegExp(`\\| \`${code}\`\\s*\\| ${status ?? '—'}\\s*\\|`));
    }
  });

  it('builds HttpErrors with the status of their code, refusing codes never answered', () => {
    const err = httpError('PACPROXY_ERR_BODY_TOO_LARGE', 'too big');
    expect(err).toMatchObject({ status: 413, code: 'PACPROXY_ERR_BODY_TOO_LARGE', message: 'too big' });
    expect(() => httpError('PACPROXY_ERR_CONFIG')).toThrow(/not answered over HTTP/);
  });
});
