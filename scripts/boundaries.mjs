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
// - examples/ import telltale only through its public `telltale/…` subpaths, never `src/` by path;
// - no module-level mutable state in src/ outside the allow-list between the `state:begin` and
//   `state:end` markers of docs/architecture.md (see {@link findState} for what counts), and no
//   allow-list row for a declaration that is gone.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const projectRoot = resolve(dirname(new URL(import.meta.url).pathname), '..');

/**
 * The body rows of the markdown table between `<!-- name:begin -->` and `<!-- name:end -->`, each
 * as its trimmed cells, without the header row (first cell `header`) and the separator; undefined
 * when the markers are missing.
 */
function tableRows(markdown, name, header) {
  const begin = markdown.indexOf(`<!-- ${name}:begin -->`);
  const end = markdown.indexOf(`<!-- ${name}:end -->`);
  if (begin < 0 || end < begin) return undefined;
  const rows = [];
  for (const line of markdown.slice(begin, end).split('\n')) {
    if (!line.startsWith('|') || /^\|\s*-/.test(line)) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells[0] !== header) rows.push(cells);
  }
  return rows;
}

/** Parses the module table: Map<module, { modules: Set, packages: Set }>. */
export function parseTable(markdown) {
  const table = tableRows(markdown, 'boundaries', 'module');
  if (table === undefined)
    throw new Error('docs/architecture.md has no boundaries:begin/end markers');
  const rows = new Map();
  for (const cells of table) {
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

/**
 * Parses the module-level state allow-list: Map<"file name", why>, one key per name of each row
 * (`| src/x.ts | \`a\`, \`b\` | why |`). No markers means an empty list: every declaration found
 * is then reported, so removing the table cannot switch the check off.
 */
export function parseStateAllowList(markdown) {
  const allowed = new Map();
  for (const cells of tableRows(markdown, 'state', 'file') ?? []) {
    const file = cells[0].replace(/`/g, '');
    for (const m of (cells[1] ?? '').matchAll(/`([^`]+)`/g))
      allowed.set(`${file} ${m[1]}`, cells[2]);
  }
  return allowed;
}

/** Constructors whose instances are containers a module could keep state in. */
const MUTABLE_CONSTRUCTORS = new Set([
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'Array',
  'Object',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'AsyncLocalStorage',
  'Float64Array',
  'Float32Array',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Uint16Array',
  'Uint32Array',
  'BigInt64Array',
  'BigUint64Array',
]);

function unwrap(e) {
  while (e !== undefined && (ts.isParenthesizedExpression(e) || ts.isSatisfiesExpression(e)))
    e = e.expression;
  return e;
}

/** Why `init` is a mutable container (`new Map`, `[]`, `{}`, `Buffer.alloc`), or undefined. */
function mutableContainer(init, sf) {
  let e = unwrap(init);
  if (e === undefined) return undefined;
  if (ts.isAsExpression(e)) {
    const t = e.type.getText(sf);
    if (t === 'const' || /^(readonly |Readonly)/.test(t)) return undefined;
    e = unwrap(e.expression);
  }
  if (ts.isCallExpression(e)) {
    const callee = e.expression.getText(sf);
    if (callee === 'Object.freeze') return undefined;
    if (/^Buffer\.(alloc|allocUnsafe|allocUnsafeSlow|from)$/.test(callee)) return callee;
    return undefined;
  }
  if (ts.isNewExpression(e)) {
    const ctor = e.expression.getText(sf);
    if (!MUTABLE_CONSTRUCTORS.has(ctor)) return undefined;
    // A typed array of length 0 can hold nothing.
    const args = e.arguments ?? [];
    if (/Array$/.test(ctor) && ctor !== 'Array' && args.length === 1 && args[0].getText(sf) === '0')
      return undefined;
    return `new ${ctor}`;
  }
  if (ts.isArrayLiteralExpression(e)) return 'an array literal';
  if (ts.isObjectLiteralExpression(e)) return 'an object literal';
  return undefined;
}

/**
 * The module-level state declared in one source file: every top-level `let` or `var`, every
 * top-level `const` holding a mutable container (a `new Map`/`Set`/typed array/…, `Buffer.alloc`,
 * an array or object literal) unless it is typed read-only (`readonly T[]`, `Readonly<…>`,
 * `ReadonlySet`, `ReadonlyMap`), frozen (`Object.freeze`), `as const`, or a typed array of length
 * 0, and every `static` class field that is not `readonly`. Read with the TypeScript parser, so a
 * declaration inside a function (per-call state) or a comment never counts.
 */
export function findState(file, text) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const at = (node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  for (const st of sf.statements) {
    if (ts.isVariableStatement(st)) {
      const isConst = (st.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const d of st.declarationList.declarations) {
        const names = ts.isIdentifier(d.name) ? [d.name.text] : [d.name.getText(sf)];
        let why;
        if (!isConst) why = st.declarationList.flags & ts.NodeFlags.Let ? 'let' : 'var';
        else {
          const type = d.type?.getText(sf) ?? '';
          if (!/^(readonly |Readonly)/.test(type)) why = mutableContainer(d.initializer, sf);
        }
        if (why !== undefined) for (const name of names) found.push({ name, why, line: at(d) });
      }
    } else if (ts.isClassDeclaration(st)) {
      for (const m of st.members) {
        const mods = ts.canHaveModifiers(m) ? (ts.getModifiers(m) ?? []) : [];
        const isStatic = mods.some((x) => x.kind === ts.SyntaxKind.StaticKeyword);
        const isReadonly = mods.some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword);
        if (ts.isPropertyDeclaration(m) && isStatic && !isReadonly) {
          found.push({
            name: `${st.name?.text ?? 'class'}.${m.name.getText(sf)}`,
            why: 'a static field',
            line: at(m),
          });
        }
      }
    }
  }
  return found;
}

/**
 * Checks src/ under `root` for module-level state against `allowed` (from
 * {@link parseStateAllowList}). Returns the problems as `file:line: …` strings.
 */
export function checkState(allowed, root = projectRoot) {
  const problems = [];
  const seen = new Set();
  for (const file of walk(join(root, 'src'), [])) {
    const where = relative(root, file).split(sep).join('/');
    for (const { name, why, line } of findState(file, readFileSync(file, 'utf8'))) {
      const key = `${where} ${name}`;
      seen.add(key);
      if (!allowed.has(key)) {
        problems.push(
          `${where}:${line}: module-level state \`${name}\` (${why}) is not in the allow-list of docs/architecture.md (Module-level state): make it per instance, or list it with why it carries nothing between instances`,
        );
      }
    }
  }
  for (const key of allowed.keys()) {
    if (!seen.has(key)) {
      const [file, name] = key.split(' ');
      problems.push(
        `module-level state allow-list: ${file} declares no \`${name}\` any more; remove its row from docs/architecture.md`,
      );
    }
  }
  return problems;
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
  const markdown = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
  const allowed = parseStateAllowList(markdown);
  const state = checkState(allowed, root);
  if (process.argv.includes('--json')) {
    const out = Object.fromEntries(Object.entries(graph).map(([k, v]) => [k, [...v].sort()]));
    console.log(JSON.stringify(out, null, 2));
  }
  if (problems.length > 0 || state.length > 0) {
    for (const p of [...problems, ...state]) console.error(`boundaries: ${p}`);
    if (problems.length > 0) console.error(`boundaries: ${problems.length} forbidden import(s)`);
    if (state.length > 0)
      console.error(`boundaries: ${state.length} module-level state problem(s)`);
    process.exit(1);
  }
  console.log(
    `boundaries: ok (${table.size} modules, every import in src/ and examples/ allowed; module-level state only as allowed, ${allowed.size} declarations)`,
  );
}
