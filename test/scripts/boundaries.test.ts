// The module-boundary check (scripts/boundaries.mjs): the real tree passes, and each kind of forbidden import in a small fixture tree is reported.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { makeTempDir, removeTempDir } from '../helpers/tmp.js';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'boundaries.mjs');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes `files` (path → content) under a fresh directory and returns it. */
async function tree(files: Record<string, string>): Promise<string> {
  const root = await makeTempDir('boundaries');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

function table(rows: string[]): string {
  return [
    '# fixture',
    '<!-- boundaries:begin -->',
    '| module | may import (telltale modules) | may import (packages) | what |',
    '|---|---|---|---|',
    ...rows,
    '<!-- boundaries:end -->',
    '',
  ].join('\n');
}

/** The `boundaries: …` lines a failing run printed, in order, without the closing counts. */
function problems(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('boundaries: ') &&
        !l.endsWith('forbidden import(s)') &&
        !l.endsWith('module-level state problem(s)'),
    )
    .map((l) => l.slice('boundaries: '.length));
}

/** A module-level state allow-list section with `rows` (`| file | names | why |`). */
function stateTable(rows: string[]): string {
  return [
    '<!-- state:begin -->',
    '| file | names | why it is allowed |',
    '|---|---|---|',
    ...rows,
    '<!-- state:end -->',
    '',
  ].join('\n');
}

describe('scripts/boundaries.mjs', () => {
  test('the project itself passes, and --json shows the metrics core importing only internal', () => {
    const r = run(['--json']);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    const graph = JSON.parse(r.stdout.slice(0, r.stdout.lastIndexOf('}') + 1)) as Record<
      string,
      string[]
    >;
    assert.deepEqual(graph.metrics, ['internal']);
    assert.deepEqual(graph.exposition, ['internal', 'metrics']);
    assert.match(r.stdout, /boundaries: ok \(\d+ modules/);
  });

  test('a forbidden module edge, a forbidden package and a telltale/ self-import are reported with file and line; comments and allowed edges are not', async (t) => {
    const root = await tree({
      'docs/architecture.md': table([
        '| `a` | `b` | `node:fs` | fixture |',
        '| `b` | — | — | fixture |',
        '| `c` | — | — | fixture |',
      ]),
      'src/a/x.ts': [
        "import { y } from '../b/y.js';",
        '// import { z } from "../c/z.js";  (a comment: not an import)',
        'import type {',
        '  Z,',
        "} from '../c/z.js';",
        "import { readFileSync } from 'node:fs';",
        "export { pino } from 'pino';",
        "const later = await import('node:http');",
        "import 'telltale/metrics';",
        'export const x = Object.freeze([y, readFileSync, later]);',
        'export type { Z };',
      ].join('\n'),
      'src/b/y.ts': "import { helper } from './helper.js';\nexport const y = helper;\n",
      'src/b/helper.ts': 'export const helper = 1;\n',
      'src/c/z.ts': 'export type Z = number;\n',
    });
    t.after(() => removeTempDir(root));
    const r = run(['--root', root]);
    assert.equal(r.status, 1);
    assert.deepEqual(problems(r.stderr), [
      'src/a/x.ts:5: a may not import c (../c/z.js); see docs/architecture.md',
      'src/a/x.ts:7: a may not import pino; see docs/architecture.md',
      'src/a/x.ts:8: a may not import node:http; see docs/architecture.md',
      'src/a/x.ts:9: imports telltale/metrics; inside src/ import the module by relative path',
    ]);
  });

  test('an incomplete table, a row for a missing module and a cycle are reported', async (t) => {
    const root = await tree({
      'docs/architecture.md': table([
        '| `a` | `b` | — | fixture |',
        '| `b` | `a`, `gone` | — | fixture |',
      ]),
      'src/a/x.ts': 'export const x = 1;\n',
      'src/b/y.ts': 'export const y = 1;\n',
      'src/c/z.ts': 'export const z = 1;\n',
    });
    t.after(() => removeTempDir(root));
    const r = run(['--root', root]);
    assert.equal(r.status, 1);
    assert.deepEqual(problems(r.stderr), [
      'src/c: no row in the module table',
      'module table: b may import gone, which has no row',
      'module table: cycle a → b → a',
    ]);
  });

  test('examples reaching into src/ by path are reported; src/ reaching outside itself too', async (t) => {
    const root = await tree({
      'docs/architecture.md': table(['| `a` | — | — | fixture |']),
      'src/a/x.ts': "import { f } from '../../test/fixture.js';\nexport const x = f;\n",
      'test/fixture.ts': 'export const f = 1;\n',
      'examples/demo/main.ts':
        "import { x } from '../../src/a/x.js';\nimport { ok } from './ok.js';\n",
      'examples/demo/ok.ts': 'export const ok = 1;\n',
    });
    t.after(() => removeTempDir(root));
    const r = run(['--root', root]);
    assert.equal(r.status, 1);
    assert.deepEqual(problems(r.stderr), [
      'src/a/x.ts:1: imports ../../test/fixture.js, outside src/',
      'examples/demo/main.ts:1: imports ../../src/a/x.js; examples use telltale only through its public telltale/… subpaths',
    ]);
  });

  test('module-level state: let, var, mutable containers and static fields are reported unless allowed; constants, read-only types and per-call state are not', async (t) => {
    const root = await tree({
      'docs/architecture.md':
        table(['| `a` | — | `node:async_hooks` | fixture |']) +
        stateTable([
          '| `src/a/x.ts` | `lazy`, `store` | fixture: allowed |',
          '| `src/a/x.ts` | `gone` | fixture: no such declaration |',
        ]),
      'src/a/x.ts': [
        "import { AsyncLocalStorage } from 'node:async_hooks';",
        'let lazy: number | undefined;',
        'const store = new AsyncLocalStorage<number>();',
        'let counter = 0;',
        'var legacy = 1;',
        'export const cache = new Map<string, number>();',
        'const list: string[] = [];',
        'const options = { level: 1 };',
        'const pool = Buffer.allocUnsafe(16);',
        'const table: ReadonlySet<string> = new Set(["a"]);',
        'const names: readonly string[] = ["a"];',
        'const frozen = Object.freeze({ a: 1 });',
        'const tuple = ["a", "b"] as const;',
        'const empty = new Float64Array(0);',
        'const scratch = new Float64Array(8);',
        'const limit = 10;',
        'const fn = () => { let perCall = 0; const m = new Map(); return [perCall, m, lazy, store]; };',
        '// let commented = 1;',
        'export class K { static shared = new Map(); static readonly fixed = 1; value = []; }',
        'export const all = Object.freeze([counter, legacy, list, options, pool, table, names, frozen, tuple, empty, scratch, limit, fn]);',
      ].join('\n'),
    });
    t.after(() => removeTempDir(root));
    const r = run(['--root', root]);
    assert.equal(r.status, 1);
    const why = (line: number, name: string, kind: string) =>
      `src/a/x.ts:${line}: module-level state \`${name}\` (${kind}) is not in the allow-list of docs/architecture.md (Module-level state): make it per instance, or list it with why it carries nothing between instances`;
    assert.deepEqual(problems(r.stderr), [
      why(4, 'counter', 'let'),
      why(5, 'legacy', 'var'),
      why(6, 'cache', 'new Map'),
      why(7, 'list', 'an array literal'),
      why(8, 'options', 'an object literal'),
      why(9, 'pool', 'Buffer.allocUnsafe'),
      why(15, 'scratch', 'new Float64Array'),
      why(19, 'K.shared', 'a static field'),
      'module-level state allow-list: src/a/x.ts declares no `gone` any more; remove its row from docs/architecture.md',
    ]);
    assert.match(r.stderr, /boundaries: 9 module-level state problem\(s\)\n$/);
  });

  test('without a state allow-list, every module-level state declaration is reported', async (t) => {
    const root = await tree({
      'docs/architecture.md': table(['| `a` | — | — | fixture |']),
      'src/a/x.ts': 'let lazy: number | undefined;\nexport const get = () => lazy;\n',
    });
    t.after(() => removeTempDir(root));
    const r = run(['--root', root]);
    assert.equal(r.status, 1);
    assert.deepEqual(problems(r.stderr), [
      'src/a/x.ts:1: module-level state `lazy` (let) is not in the allow-list of docs/architecture.md (Module-level state): make it per instance, or list it with why it carries nothing between instances',
    ]);
  });

  test('a table without its markers is an error that says so', async (t) => {
    const root = await tree({ 'docs/architecture.md': '# no table\n', 'src/a/x.ts': '' });
    t.after(() => removeTempDir(root));
    const r = run(['--root', root]);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      'boundaries: docs/architecture.md has no boundaries:begin/end markers\n',
    );
  });
});
