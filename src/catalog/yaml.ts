// YAML catalogs: parsed with the yaml package and validated with the TypeScript catalog's rules, each error naming the YAML path and line of the bad field.

import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { fail } from '../internal/errors.js';
import { type Catalog, catalogOf } from './define.js';
import type { CatalogEntry } from './schema.js';
import { checkUnique, type PathSegment, type Source, validateEntry } from './validate.js';

/** Options of {@link parseCatalog}. */
export interface ParseCatalogOptions {
  /** What the text is called in error messages, such as its file name. Default `'parseCatalog'`. */
  readonly source?: string;
}

/**
 * Parses and validates a YAML catalog: a `metrics` list of entries with the same fields as a
 * `defineMetrics` entry (`name`, `type`, `help`, `unit`, `labels`, `buckets`, `native`,
 * `quantiles`, `maxAgeSeconds`, `ageBuckets`, `slo`, `dashboard`). Each entry's key, the
 * property of its instrument in `bind()`'s result, is its name. The instruments are not typed
 * by label: the compiler cannot read the file.
 *
 * @throws TelltaleError `TT_INVALID_CATALOG` on YAML that does not parse (with its line) or a
 *   document that is not `{ metrics: [...] }`, and every error of {@link defineMetrics}, each
 *   naming the path of the bad field and its line, such as `metrics[2].labels.route.values
 *   (metric "http_requests_total", line 14)`.
 * @example
 * ```ts
 * const catalog = parseCatalog(`
 * metrics:
 *   - name: jobs_total
 *     type: counter
 *     help: Jobs run.
 *     labels: { outcome: { values: [ok, error] } }
 * `);
 * catalog.bind({ registry })['jobs_total'];
 * ```
 */
export function parseCatalog(text: string, options: ParseCatalogOptions = {}): Catalog {
  if (typeof options !== 'object' || options === null) {
    fail('TT_INVALID_OPTION', 'parseCatalog: options must be an object such as { source }');
  }
  const where = options.source ?? 'parseCatalog';
  if (typeof where !== 'string') {
    fail('TT_INVALID_OPTION', 'parseCatalog: source must be a string, such as a file name');
  }
  if (typeof text !== 'string') {
    fail('TT_INVALID_CATALOG', `${where}: the catalog must be YAML text, got ${typeof text}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    fail('TT_INVALID_CATALOG', `${where}: not valid YAML: ${error.message.split('\n')[0]}`);
  }
  const locate = (path: readonly PathSegment[]): string | undefined => {
    // The node of the field, or of the nearest enclosing one that exists.
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range !== undefined && node.range !== null) {
        return `line ${lines.linePos(node.range[0]).line}`;
      }
    }
    return undefined;
  };
  const src: Source = { where, locate };
  const top: unknown = doc.toJS();
  if (typeof top !== 'object' || top === null || Array.isArray(top)) {
    fail(
      'TT_INVALID_CATALOG',
      `${where}: a catalog is a mapping with a "metrics" list, such as "metrics:\\n  - { name: jobs_total, type: counter, help: Jobs run. }"`,
    );
  }
  const root = top as Record<string, unknown>;
  for (const k of Object.keys(root)) {
    if (k !== 'metrics') {
      fail(
        'TT_INVALID_CATALOG',
        `${where}: ${k} (${locate([k])}): unknown key; a catalog has one key, "metrics"`,
      );
    }
  }
  const metrics = root['metrics'];
  if (!Array.isArray(metrics)) {
    fail(
      'TT_INVALID_CATALOG',
      `${where}: metrics${metrics === undefined ? '' : ` (${locate(['metrics'])})`}: must be a list of entries`,
    );
  }
  const list = metrics.map((raw: unknown, i) => {
    const name = (raw as { name?: unknown } | null)?.name;
    const path: PathSegment[] = ['metrics', i];
    return { entry: validateEntry(src, path, typeof name === 'string' ? name : '', raw), path };
  });
  checkUnique(src, list);
  return catalogOf(Object.freeze(list.map((e): CatalogEntry => e.entry)));
}

/**
 * Reads a YAML catalog file (synchronously: catalogs are read once, at startup) and validates it
 * as {@link parseCatalog} does, naming the file in error messages.
 * @throws the file system's error when the file cannot be read, and every error of
 *   {@link parseCatalog}.
 * @example
 * ```ts
 * const catalog = loadCatalog(new URL('./metrics.yaml', import.meta.url));
 * ```
 */
export function loadCatalog(path: string | URL): Catalog {
  if (typeof path !== 'string' && !(path instanceof URL)) {
    fail('TT_INVALID_OPTION', 'loadCatalog: path must be a file path or a file: URL');
  }
  const text = readFileSync(path, 'utf8');
  return parseCatalog(text, { source: typeof path === 'string' ? path : path.href });
}
