// Keeps the docs in agreement with the code: every export has a docs page (error codes: test/internal/error-catalogue.test.ts).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

// docs/errors.md against the error and warning catalogue: test/internal/error-catalogue.test.ts.

/** Subpaths documented on a page named differently (one page can cover several subpaths). */
const DOC_PAGES: Readonly<Record<string, string>> = {
  log: 'logging',
  runtime: 'runtime-metrics',
  context: 'tracing',
  trace: 'tracing',
  http: 'http',
  'node-http': 'http',
  express: 'http',
  fastify: 'http',
  hono: 'http',
};

test('every subpath export has its source index and a docs page linked from the README', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    exports: Record<string, unknown>;
  };
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    // The root entry re-exports telltale/metrics and telltale/server: test/package/package.test.ts.
    if (subpath === './package.json' || subpath === '.') continue;
    const name = subpath.slice(2);
    const t = target as Record<string, string>;
    const source = t['telltale-source'] ?? '';
    assert.match(source, /^\.\/src\/[a-z-]+\/[a-z-]+\.ts$/, `${subpath}: source entry ${source}`);
    const built = source.replace('./src/', './dist/').replace(/\.ts$/, '');
    assert.equal(t.types, `${built}.d.ts`);
    assert.equal(t.default, `${built}.js`);
    readFileSync(new URL(`.${source}`, import.meta.url));
    const page = DOC_PAGES[name] ?? name;
    readFileSync(new URL(`../docs/${page}.md`, import.meta.url));
    assert.ok(readme.includes(`\`telltale/${name}\``), `README mentions telltale/${name}`);
    assert.ok(readme.includes(`(docs/${page}.md)`), `README links docs/${page}.md`);
  }
});
