// Keeps the docs in agreement with the code: every error code is documented, every export has a docs page.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ErrorCodes } from '../src/internal/errors.js';

test('docs/errors.md documents every error code, and nothing else', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `(TT_[A-Z_]+)` \|/gm)].map((m) => m[1]));
  assert.deepEqual([...documented].sort(), Object.keys(ErrorCodes).sort());
});

test('every subpath export has its source index and a docs page linked from the README', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    exports: Record<string, unknown>;
  };
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath === './package.json') continue;
    const name = subpath.slice(2);
    const t = target as Record<string, string>;
    assert.equal(t['telltale-source'], `./src/${name}/index.ts`);
    assert.equal(t.types, `./dist/${name}/index.d.ts`);
    assert.equal(t.default, `./dist/${name}/index.js`);
    readFileSync(new URL(`../src/${name}/index.ts`, import.meta.url));
    readFileSync(new URL(`../docs/${name}.md`, import.meta.url));
    assert.ok(readme.includes(`\`telltale/${name}\``), `README mentions telltale/${name}`);
    assert.ok(readme.includes(`(docs/${name}.md)`), `README links docs/${name}.md`);
  }
});
