// Every export of every subpath (run-time values and type-only names) against the committed lists in docs/api.md: a name nobody listed, or a listed name that is gone, fails.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/process.js';
import {
  type Analysis,
  type ApiDoc,
  analyse,
  compareNames,
  entries,
  formatSurface,
  parseApiDoc,
  type Surface,
  surfaces,
} from './surface.js';

const DOC = 'docs/api.md';

function diff(have: readonly string[], want: readonly string[]): [string[], string[]] {
  return [have.filter((n) => !want.includes(n)), want.filter((n) => !have.includes(n))];
}

const names = (list: readonly string[]): string => list.map((n) => `\`${n}\``).join(', ');

describe('the public surface', () => {
  const list = entries();
  let actual = new Map<string, Surface>();
  let analysis: Analysis = { names: new Map(), mutableOptions: [] };
  let doc: ApiDoc = { surfaces: new Map(), removed: [] };
  before(async () => {
    analysis = analyse(list);
    actual = await surfaces(list, analysis);
    doc = parseApiDoc(readFileSync(join(REPO_ROOT, DOC), 'utf8'));
  });

  it(`${DOC} has one list per entry of the export map, and no other`, () => {
    assert.deepEqual(
      [...doc.surfaces.keys()],
      list.map((e) => e.specifier),
      `${DOC} needs an <!-- exports: telltale/… --> block per package.json export, in package.json order`,
    );
  });

  for (const { specifier } of list) {
    it(`${specifier} exports exactly the names ${DOC} lists`, () => {
      const have = actual.get(specifier);
      const want = doc.surfaces.get(specifier);
      assert.ok(have !== undefined && want !== undefined, `${specifier} is listed and importable`);
      const problems: string[] = [];
      for (const kind of ['values', 'types'] as const) {
        const [unexpected, missing] = diff(have[kind], want[kind]);
        if (unexpected.length > 0) {
          problems.push(
            `${specifier} exports ${kind} that ${DOC} does not list: ${names(unexpected)}.\n` +
              `  The export map is the API. If a user needs it, list it deliberately in ${DOC} ` +
              `(and document it on its area page); if not, stop exporting it from the index file ` +
              `(modules import each other by relative path, tests may too).`,
          );
        }
        if (missing.length > 0) {
          problems.push(
            `${DOC} lists ${kind} of ${specifier} that it does not export: ${names(missing)}.\n` +
              `  If the removal is deliberate, delete them from the list and add a row per name ` +
              `to the Removed table (name, subpath, why).`,
          );
        }
      }
      if (problems.length > 0) {
        problems.push(`The ${specifier} block of ${DOC} now reads:\n\n${formatSurface(have)}\n`);
      }
      if (problems.length > 0) assert.fail(problems.join('\n'));
    });
  }

  it('each list is sorted and has no duplicate, so an edit is one line of a diff', () => {
    for (const [specifier, s] of doc.surfaces) {
      for (const kind of ['values', 'types'] as const) {
        assert.deepEqual(
          s[kind],
          [...s[kind]].sort(compareNames),
          `${specifier} ${kind} in ${DOC}: sorted case-insensitively, as formatSurface writes them`,
        );
        assert.equal(new Set(s[kind]).size, s[kind].length, `${specifier} ${kind}: duplicates`);
      }
    }
  });

  it('every exported …Options type has readonly properties only', () => {
    assert.deepEqual(
      analysis.mutableOptions,
      [],
      'make these options properties readonly (docs/api.md, Factory conventions)',
    );
  });

  it('the README and docs/ import from a subpath only names it exports', () => {
    const pages = ['README.md', 'docs', 'docs/adr'].flatMap((p) =>
      p.endsWith('.md')
        ? [p]
        : readdirSync(join(REPO_ROOT, p))
            .filter((f) => f.endsWith('.md'))
            .map((f) => `${p}/${f}`),
    );
    const wrong: string[] = [];
    for (const page of pages) {
      const text = readFileSync(join(REPO_ROOT, page), 'utf8');
      for (const m of text.matchAll(
        /import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*'(telltale[^']*)'/g,
      )) {
        const s = actual.get(m[2]!);
        for (const raw of m[1]!.split(',')) {
          const name = raw
            .trim()
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)[0]!;
          if (name === '' || name === '…') continue;
          if (s === undefined || (!s.values.includes(name) && !s.types.includes(name))) {
            wrong.push(`${page}: ${name} from '${m[2]}'`);
          }
        }
      }
    }
    assert.deepEqual(wrong, [], 'a page imports a name its subpath does not export');
  });

  it('a removed export is not exported again while the Removed table names it', () => {
    assert.ok(doc.removed.length > 0, `${DOC} has a Removed table`);
    const back = doc.removed.filter(({ name, specifier }) => {
      const s = actual.get(specifier);
      return s !== undefined && (s.values.includes(name) || s.types.includes(name));
    });
    assert.deepEqual(
      back.map((r) => `${r.specifier}: ${r.name}`),
      [],
      `exported again: delete its Removed row in ${DOC} if that is deliberate`,
    );
  });
});
