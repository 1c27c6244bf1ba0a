// The package as a user gets it: what `npm pack` puts in, the LICENSE, and every subpath loading from dist/ under plain node.

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
import { runCommand } from '../helpers/child.js';
import { REPO_ROOT } from '../helpers/process.js';

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
    for (const f of ['LICENSE', 'README.md', 'package.json'])
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
