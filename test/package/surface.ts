// What each subpath of the export map exports (run-time values from an import, types from the TypeScript checker), and the lists of docs/api.md that pin them.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../helpers/process.js';

/** The names one subpath exports: `values` exist at run time, `types` only for the compiler. Both sorted. */
export interface Surface {
  readonly values: readonly string[];
  readonly types: readonly string[];
}

/** One entry of package.json `exports`: `telltale` or `telltale/<name>`, and its source file. */
export interface Entry {
  readonly specifier: string;
  readonly source: string;
}

/** The export map's entries (every key but `./package.json`), in package.json order. */
export function entries(root = REPO_ROOT): Entry[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, string | Record<string, string>>;
  };
  const out: Entry[] = [];
  for (const [key, target] of Object.entries(pkg.exports)) {
    if (key === './package.json' || typeof target === 'string') continue;
    const source = target['telltale-source'];
    if (source === undefined) throw new Error(`package.json exports ${key} has no telltale-source`);
    out.push({ specifier: `telltale${key.slice(1)}`, source: join(root, source) });
  }
  return out;
}

/** Case-insensitive, then by code point: `createRegistry` next to `Counter`, the same order on every machine. */
export function compareNames(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What the TypeScript checker reports about the entries. */
export interface Analysis {
  /** Every name each entry exports, sorted. */
  readonly names: ReadonlyMap<string, readonly string[]>;
  /**
   * `Name.property` for each property of an exported `…Options` type that is not `readonly`,
   * each once (a type re-exported by several entries counts once), sorted.
   */
  readonly mutableOptions: readonly string[];
}

function isReadonly(decl: ts.Declaration): boolean {
  return (ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Readonly) !== 0;
}

/**
 * Reads every entry's exports as the TypeScript checker sees them through the repository's
 * tsconfig.json (so `export type *`, `export { type X }` and re-exports all count), and the
 * properties of the exported `…Options` types that are not `readonly`.
 */
export function analyse(list: readonly Entry[], root = REPO_ROOT): Analysis {
  const file = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(file, (p) => ts.sys.readFile(p));
  if (config.error !== undefined) throw new Error(`cannot read ${file}`);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram(
    list.map((e) => e.source),
    options,
  );
  const checker = program.getTypeChecker();
  const names = new Map<string, string[]>();
  const mutable = new Set<string>();
  for (const e of list) {
    const sf = program.getSourceFile(e.source);
    const mod = sf === undefined ? undefined : checker.getSymbolAtLocation(sf);
    if (mod === undefined) throw new Error(`${e.specifier}: ${e.source} is not a module`);
    const exports = checker.getExportsOfModule(mod);
    names.set(e.specifier, exports.map((s) => s.name).sort(compareNames));
    for (const s of exports) {
      if (!s.name.endsWith('Options')) continue;
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      if ((target.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) === 0) continue;
      for (const p of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(target))) {
        const decls = p.declarations ?? [];
        if (decls.length > 0 && !decls.every(isReadonly)) mutable.add(`${s.name}.${p.name}`);
      }
    }
  }
  return { names, mutableOptions: [...mutable].sort(compareNames) };
}

/** Each entry's surface: the run-time names of `import(specifier)`, the rest of the checker's names as types. */
export async function surfaces(
  list: readonly Entry[] = entries(),
  analysis: Analysis = analyse(list),
): Promise<Map<string, Surface>> {
  const { names } = analysis;
  const out = new Map<string, Surface>();
  for (const e of list) {
    const values = Object.keys((await import(e.specifier)) as object).sort(compareNames);
    const all = names.get(e.specifier) ?? [];
    const missing = values.filter((v) => !all.includes(v));
    if (missing.length > 0) {
      throw new Error(`${e.specifier}: the checker does not see run-time exports ${missing}`);
    }
    out.set(e.specifier, { values, types: all.filter((n) => !values.includes(n)) });
  }
  return out;
}

/** A row of the "Removed" table of docs/api.md. */
export interface Removed {
  readonly name: string;
  readonly specifier: string;
}

/** The lists of docs/api.md: a surface per subpath, and the removed exports. */
export interface ApiDoc {
  readonly surfaces: ReadonlyMap<string, Surface>;
  readonly removed: readonly Removed[];
}

const BLOCK = /<!-- exports: (\S+) -->\n([\s\S]*?)<!-- \/exports -->/g;

/**
 * Reads docs/api.md: each `<!-- exports: telltale/x -->` … `<!-- /exports -->` block holds a
 * `Values:` paragraph and a `Types:` paragraph of backticked names (`None.` for an empty list);
 * the table under `## Removed` has one row per removed export (`name`, `subpath`, why).
 */
export function parseApiDoc(markdown: string): ApiDoc {
  const out = new Map<string, Surface>();
  for (const m of markdown.matchAll(BLOCK)) {
    const specifier = m[1]!;
    if (out.has(specifier)) throw new Error(`docs/api.md lists ${specifier} twice`);
    const lists: Record<'Values' | 'Types', string[]> = { Values: [], Types: [] };
    for (const para of m[2]!.split(/\n\s*\n/)) {
      const head = /^\s*(Values|Types):/.exec(para);
      if (head === null) continue;
      lists[head[1] as 'Values' | 'Types'] = [...para.matchAll(/`([^`]+)`/g)].map((n) => n[1]!);
    }
    out.set(specifier, { values: lists.Values, types: lists.Types });
  }
  const removed: Removed[] = [];
  const start = markdown.indexOf('\n## Removed');
  if (start >= 0) {
    const end = markdown.indexOf('\n## ', start + 1);
    for (const line of markdown.slice(start, end < 0 ? undefined : end).split('\n')) {
      const row = /^\| `([^`]+)` \| `([^`]+)` \|/.exec(line);
      if (row !== null) removed.push({ name: row[1]!, specifier: row[2]! });
    }
  }
  return { surfaces: out, removed };
}

/** The `Values:` and `Types:` paragraphs for `surface`, wrapped at 100 columns, as docs/api.md holds them. */
export function formatSurface(surface: Surface): string {
  const para = (head: string, names: readonly string[]): string => {
    if (names.length === 0) return `${head}: None.`;
    const lines: string[] = [];
    let line = `${head}:`;
    names.forEach((n, i) => {
      const word = ` \`${n}\`${i === names.length - 1 ? '.' : ','}`;
      if (line.length + word.length > 100) {
        lines.push(line);
        line = word.slice(1);
      } else line += word;
    });
    lines.push(line);
    return lines.join('\n');
  };
  return `${para('Values', surface.values)}\n\n${para('Types', surface.types)}`;
}
