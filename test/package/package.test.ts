// The package as a user gets it: what `npm pack` puts in, the LICENSE, the root entry `import 'telltale'` (source and built) and every subpath from dist/, in real child processes.

import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runCommand } from '../helpers/child.js';
import { REPO_ROOT } from '../helpers/process.js';

/** What `import * as t from 'telltale'` holds at run time (types are not there), sorted. */
const ROOT_NAMES = [
  'BucketPresets',
  'ErrorCodes',
  'TelltaleError',
  'createMetricsServer',
  'createRegistry',
  'defaultRegistry',
  'exponentialBuckets',
  'linearBuckets',
];

interface PackageJson {
  name: string;
  license: string;
  exports: Record<string, string | Record<string, string>>;
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Whether dist/ holds a .js and a .d.ts, no older than its source, for every file in src/. */
function distIsFresh(root: string): boolean {
  return sourceFiles(join(root, 'src')).every((src) => {
    const base = join(root, 'dist', relative(join(root, 'src'), src)).replace(/\.ts$/, '');
    return ['.js', '.d.ts'].every(
      (ext) => existsSync(base + ext) && statSync(base + ext).mtimeMs >= statSync(src).mtimeMs,
    );
  });
}

/**
 * A directory with the package as `npm pack` sees it, dist/ built. The repository itself when its
 * dist/ is fresh (scripts/test.sh builds it before the tests); otherwise a copy under .tmp/ built
 * here, so a run without the build step tests the current sources, not an old dist/.
 */
async function packageDir(): Promise<{ dir: string; cleanup: () => void }> {
  if (distIsFresh(REPO_ROOT)) return { dir: REPO_ROOT, cleanup: () => {} };
  mkdirSync(join(REPO_ROOT, '.tmp'), { recursive: true });
  // Under the repository, so the copy resolves the repository's node_modules (pino, yaml).
  const dir = mkdtempSync(join(REPO_ROOT, '.tmp', 'package-'));
  for (const f of ['package.json', 'README.md', 'LICENSE']) {
    if (existsSync(join(REPO_ROOT, f))) cpSync(join(REPO_ROOT, f), join(dir, f));
  }
  cpSync(join(REPO_ROOT, 'src'), join(dir, 'src'), { recursive: true });
  const tsc = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
  const build = await runCommand(
    tsc,
    ['-p', join(REPO_ROOT, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')],
    { timeoutMs: 120_000 },
  );
  assert.equal(build.exitCode, 0, `tsc build failed:\n${build.stdout}${build.stderr}`);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs an ES module snippet in a child node from `cwd`; `source` resolves telltale's sources through tsx. */
function runNode(cwd: string, code: string, source: boolean) {
  const args = source ? ['--conditions=telltale-source', '--import', 'tsx'] : [];
  return runCommand(process.execPath, [...args, '--input-type=module', '-e', code], {
    cwd,
    timeoutMs: 30_000,
  });
}

/**
 * Imports `telltale`, then after one turn of the event loop reports its names, where it resolved,
 * the handles that are active now but were not before the import (the baseline is taken a turn
 * after start-up, once the loader settled), and the process listeners it added. The child must
 * then exit by itself.
 */
const IMPORT_ROOT = `
const events = ['SIGTERM', 'SIGINT', 'SIGHUP', 'exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', 'warning'];
const listeners = () => events.map((e) => process.listenerCount(e));
await new Promise((resolve) => setImmediate(resolve));
const handlesBefore = process.getActiveResourcesInfo();
const before = listeners();
const root = await import('telltale');
const now = listeners();
const metrics = await import('telltale/metrics');
const server = await import('telltale/server');
setImmediate(() => {
  const added = [...process.getActiveResourcesInfo()];
  for (const h of handlesBefore) if (added.includes(h)) added.splice(added.indexOf(h), 1);
  console.log(JSON.stringify({
    names: Object.keys(root).sort(),
    same: Object.keys(root).every((n) => root[n] === metrics[n] || root[n] === server[n]),
    resolved: import.meta.resolve('telltale'),
    handles: added,
    added: events.filter((e, i) => now[i] > before[i]),
  }));
});
`;

interface RootReport {
  names: string[];
  /** Every name is the very object its subpath exports. */
  same: boolean;
  resolved: string;
  /** Handles active after the import that were not before it. */
  handles: string[];
  added: string[];
}

function parseReport(r: { exitCode: number | null; stdout: string; stderr: string }): RootReport {
  assert.equal(r.exitCode, 0, `the child exits 0 by itself:\n${r.stderr}`);
  return JSON.parse(r.stdout) as RootReport;
}

describe('the packed package', () => {
  let dir = REPO_ROOT;
  let cleanup = (): void => {};
  before(async () => {
    ({ dir, cleanup } = await packageDir());
  });
  after(() => cleanup());

  it('npm pack holds LICENSE, README.md, package.json and every file the exports map names, nothing else', async () => {
    const r = await runCommand(
      'npm',
      ['pack', '--dry-run', '--json', '--ignore-scripts', '--offline'],
      {
        cwd: dir,
        timeoutMs: 60_000,
      },
    );
    assert.equal(r.exitCode, 0, r.stderr);
    const files = new Set(
      (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map(
        (f) => f.path,
      ),
    );
    for (const f of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'src/index.ts',
    ])
      assert.ok(files.has(f), `${f} is packed`);
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const targets = typeof target === 'string' ? [target] : Object.values(target);
      for (const t of targets)
        assert.ok(files.has(t.replace(/^\.\//, '')), `${subpath}: ${t} is packed`);
    }
    const stray = [...files].filter(
      (f) =>
        !f.startsWith('dist/') &&
        !f.startsWith('src/') &&
        !['LICENSE', 'README.md', 'package.json'].includes(f),
    );
    assert.deepEqual(stray, [], 'only dist/, src/ and the three top-level files');
  });

  it('plain node (no tsx) resolves import "telltale" to dist/index.js: the same names, nothing started', async () => {
    const report = parseReport(await runNode(dir, IMPORT_ROOT, false));
    assert.equal(report.resolved, pathToFileURL(join(dir, 'dist', 'index.js')).href);
    assert.deepEqual(report.names, ROOT_NAMES);
    assert.equal(report.same, true);
    assert.deepEqual(report.handles, []);
    assert.deepEqual(report.added, []);
  });

  it('plain node loads every subpath of the exports map from dist/, and starts nothing', async () => {
    const subpaths = Object.keys(pkg.exports).filter((s) => s !== './package.json');
    const code = `
      const out = {};
      for (const s of ${JSON.stringify(subpaths)}) {
        const spec = 'telltale' + s.slice(1);
        out[spec] = [import.meta.resolve(spec), Object.keys(await import(spec)).length];
      }
      setImmediate(() => console.log(JSON.stringify({ out, handles: process.getActiveResourcesInfo() })));
    `;
    const r = await runNode(dir, code, false);
    assert.equal(r.exitCode, 0, r.stderr);
    const { out, handles } = JSON.parse(r.stdout) as {
      out: Record<string, [string, number]>;
      handles: string[];
    };
    for (const s of subpaths) {
      const spec = `telltale${s.slice(1)}`;
      const [url, count] = out[spec] ?? ['', 0];
      assert.match(url, /\/dist\/.+\.js$/, `${spec} resolves into dist/`);
      assert.ok(count > 0, `${spec} exports something`);
    }
    // pino (telltale/log's dependency) opens process.stdout and stderr when it is imported: those
    // stdio pipes keep nothing alive (the child exits by itself). Nothing else may be active.
    assert.deepEqual(
      handles.filter((h) => h !== 'PipeWrap' && h !== 'TTYWrap'),
      [],
    );
  });
});

describe('the root entry, from the sources', () => {
  it('import "telltale" gives the documented names and starts nothing (no handles, no process listeners)', async () => {
    const report = parseReport(await runNode(REPO_ROOT, IMPORT_ROOT, true));
    assert.equal(report.resolved, pathToFileURL(join(REPO_ROOT, 'src', 'index.ts')).href);
    assert.deepEqual(report.names, ROOT_NAMES);
    assert.equal(report.same, true);
    assert.deepEqual(report.handles, []);
    assert.deepEqual(report.added, []);
  });

  it('the README documents the root entry and each of its names', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## The root entry');
    assert.ok(start >= 0, 'README has a "The root entry" section');
    const end = readme.indexOf('\n## ', start + 1);
    const section = readme.slice(start, end < 0 ? undefined : end);
    assert.match(section, /from 'telltale'/);
    for (const name of ROOT_NAMES)
      assert.ok(section.includes(`\`${name}\``), `README names ${name}`);
  });

  it('package.json maps "." like the other subpaths: source condition, types, default', () => {
    assert.deepEqual(pkg.exports['.'], {
      'telltale-source': './src/index.ts',
      types: './dist/index.d.ts',
      default: './dist/index.js',
    });
  });
});

describe('LICENSE', () => {
  it('is the Apache License 2.0 text that package.json declares, with the project copyright', () => {
    assert.equal(pkg.license, 'Apache-2.0');
    const text = readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8');
    assert.match(text, /^\s+Apache License\n\s+Version 2\.0, January 2004\n/);
    assert.match(text, /^ {3}Copyright 2026 the telltale authors$/m);
    assert.match(text, /END OF TERMS AND CONDITIONS/);
    assert.match(text, /limitations under the License\.\n$/);
    assert.doesNotMatch(text, /\[yyyy\]|\[name of copyright owner\]/);
  });
});
