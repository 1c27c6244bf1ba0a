// Checks every import in src/ and examples/ against the module table in docs/architecture.md.
//
// Usage: node scripts/boundaries.mjs              (exit 0 when every import is allowed, 1 otherwise)
//        node scripts/boundaries.mjs --json       (also prints the import graph it found)
//        node scripts/boundaries.mjs --root DIR   (checks another tree with its own docs/architecture.md)
//
// The table between the `boundaries:begin` and `boundaries:end` markers is the only source of the
// rules: one row per directory under src/, naming the telltale modules and the packages (npm
// packages and `node:` builtins) that module may import. Imports are read with the TypeScript
// compiler's own pre-processor (ts.preProcessFile), so `import type`, `export … from`, dynamic
// `import()` and multi-line imports all count, and comments and strings do not.
//
// Besides the table it enforces:
// - the table is complete (every src/ directory has a row, no row names a missing module) and
//   acyclic (a module may not reach itself through allowed imports);
// - src/ never imports examples/, test/ or bench/, nor a `telltale/…` subpath (inside the package a
//   module imports its neighbours by relative path, so the table sees the edge);
// - examples/ import telltale only through its public `telltale/…` subpaths, never `src/` by path.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const projectRoot = resolve(dirname(new URL(import.meta.url).pathname), '..');

/** Parses the module table: Map<module, { modules: Set, packages: Set }>. */
export function parseTable(markdown) {
  const begin = markdown.indexOf('<!-- boundaries:begin -->');
  const end = markdown.indexOf('<!-- boundaries:end -->');
  if (begin < 0 || end < begin)
    throw new Error('docs/architecture.md has no boundaries:begin/end markers');
  const rows = new Map();
  for (const line of markdown.slice(begin, end).split('\n')) {
    if (!line.startsWith('|') || /^\|\s*-/.test(line)) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells[0] === 'module') continue;
    const name = cells[0].replace(/`/g, '');
    const list = (cell) =>
      new Set(
        (cell ?? '')
          .replace(/`/g, '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '' && s !== '—'),
      );
    if (rows.has(name)) throw new Error(`docs/architecture.md: module ${name} has two rows`);
    rows.set(name, { modules: list(cells[1]), packages: list(cells[2]) });
  }
  return rows;
}

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'node_modules') walk(p, out);
    } else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every module specifier a file imports or re-exports, with its line number. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((f) => ({
    spec: f.fileName,
    line: text.slice(0, f.pos).split('\n').length,
  }));
}

/** A builtin stays whole (`node:stream/promises`); `@a/b/c` → `@a/b`; `pino/file` → `pino`. */
function packageOf(spec) {
  if (spec.startsWith('node:')) return spec;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The module a path under src/ belongs to: its first directory, or `root` for src/'s own files. */
function moduleOfPath(root, abs) {
  const rel = relative(join(root, 'src'), abs);
  if (rel.startsWith('..')) return undefined;
  const parts = rel.split(sep);
  return parts.length === 1 ? 'root' : parts[0];
}

/**
 * Checks the tree under `root` against `table`. Returns `{ problems, graph }`: the violations as
 * `file:line: …` strings (empty when every import is allowed) and the module → imports graph.
 */
export function check(table, root = projectRoot) {
  const problems = [];
  const srcModules = readdirSync(join(root, 'src')).filter((n) =>
    statSync(join(root, 'src', n)).isDirectory(),
  );
  if (readdirSync(join(root, 'src')).some((n) => /\.(ts|js)$/.test(n))) srcModules.push('root');
  for (const m of srcModules)
    if (!table.has(m)) problems.push(`src/${m}: no row in the module table`);
  for (const [m, row] of table) {
    if (!srcModules.includes(m)) problems.push(`module table: row ${m} names no src/ directory`);
    for (const dep of row.modules)
      if (!table.has(dep)) problems.push(`module table: ${m} may import ${dep}, which has no row`);
  }
  // Acyclic: depth-first search over the allowed edges.
  const state = new Map();
  const visit = (m, path) => {
    if (state.get(m) === 'done') return;
    if (state.get(m) === 'open') {
      problems.push(`module table: cycle ${[...path, m].join(' → ')}`);
      return;
    }
    state.set(m, 'open');
    for (const dep of table.get(m)?.modules ?? []) visit(dep, [...path, m]);
    state.set(m, 'done');
  };
  for (const m of table.keys()) visit(m, []);

  const graph = {};
  for (const file of walk(join(root, 'src'), [])) {
    const from = moduleOfPath(root, file);
    const row = table.get(from);
    const where = relative(root, file);
    const edges = graph[from] ?? new Set();
    graph[from] = edges;
    for (const { spec, line } of importsOf(file)) {
      const at = `${where}:${line}`;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        const to = moduleOfPath(root, target);
        if (to === undefined) {
          problems.push(`${at}: imports ${spec}, outside src/`);
          continue;
        }
        if (to === from) continue;
        edges.add(to);
        if (!row?.modules.has(to))
          problems.push(`${at}: ${from} may not import ${to} (${spec}); see docs/architecture.md`);
      } else if (spec === 'telltale' || spec.startsWith('telltale/')) {
        problems.push(`${at}: imports ${spec}; inside src/ import the module by relative path`);
      } else {
        const pkg = packageOf(spec);
        edges.add(pkg);
        if (!row?.packages.has(pkg))
          problems.push(`${at}: ${from} may not import ${pkg}; see docs/architecture.md`);
      }
    }
  }
  const examples = join(root, 'examples');
  for (const file of existsSync(examples) ? walk(examples, []) : []) {
    const where = relative(root, file);
    for (const { spec, line } of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!relative(examples, target).startsWith('..')) continue;
      problems.push(
        `${where}:${line}: imports ${spec}; examples use telltale only through its public telltale/… subpaths`,
      );
    }
  }
  return { problems, graph };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const at = process.argv.indexOf('--root');
  const root = at > 0 ? resolve(process.argv[at + 1] ?? '.') : projectRoot;
  let table;
  try {
    table = parseTable(readFileSync(join(root, 'docs', 'architecture.md'), 'utf8'));
  } catch (err) {
    console.error(`boundaries: ${err.message}`);
    process.exit(1);
  }
  const { problems, graph } = check(table, root);
  if (process.argv.includes('--json')) {
    const out = Object.fromEntries(Object.entries(graph).map(([k, v]) => [k, [...v].sort()]));
    console.log(JSON.stringify(out, null, 2));
  }
  if (problems.length > 0) {
    for (const p of problems) console.error(`boundaries: ${p}`);
    console.error(`boundaries: ${problems.length} forbidden import(s)`);
    process.exit(1);
  }
  console.log(`boundaries: ok (${table.size} modules, every import in src/ and examples/ allowed)`);
}
