// The ignore list: paths (by default /metrics and the health probes) that are left out of HTTP metrics and access logs.

import { fail } from '../internal/errors.js';

/**
 * Paths ignored by default: the metrics endpoint and the usual health probes. An entry ending in
 * `/*` matches everything below it (`/health/*` matches `/health/live`, not `/health` itself).
 */
export const DEFAULT_IGNORE_PATHS: readonly string[] = Object.freeze([
  '/metrics',
  '/health',
  '/health/*',
  '/ready',
]);

/**
 * What to ignore: a list of paths (exact, or a prefix ending in `/*`), a predicate on the path
 * (without the query string), or `false` to ignore nothing.
 */
export type IgnoreOption = readonly string[] | ((path: string) => boolean) | false;

/** A compiled ignore matcher, or `undefined` when nothing is ignored. */
export type IgnoreMatcher = ((path: string) => boolean) | undefined;

/**
 * Compiles an ignore option once, at setup. Exact paths go into a `Set`, prefixes into a short
 * array; a path whose second character starts none of them is ruled out first, so most requests
 * cost one array read, the others one `Set.has` and one `startsWith` per prefix.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` when an entry does not start with `/`.
 * @example
 * ```ts
 * const ignored = compileIgnore(['/metrics', '/health/*']);
 * ignored?.('/health/live'); // true
 * ```
 */
export function compileIgnore(option: IgnoreOption | undefined): IgnoreMatcher {
  if (option === undefined) return compileIgnore(DEFAULT_IGNORE_PATHS);
  if (option === false) return undefined;
  if (typeof option === 'function') return option;
  if (!Array.isArray(option)) {
    fail(
      'TT_INVALID_OPTION',
      `ignore must be an array of paths, a function or false, got ${typeof option}`,
    );
  }
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const entry of option as readonly unknown[]) {
    if (typeof entry !== 'string' || !entry.startsWith('/')) {
      fail(
        'TT_INVALID_OPTION',
        `ignore entries must be paths starting with "/", got ${String(entry)}`,
      );
    }
    if (entry.endsWith('/*')) prefixes.push(entry.slice(0, -1));
    else exact.add(entry);
  }
  if (exact.size === 0 && prefixes.length === 0) return undefined;
  // Most requests are for none of these paths: their second character (after the leading "/")
  // rules them out with one array read, before any hashing. Slot 128 stands for "no second
  // character, or not ASCII". A "/*" entry matches everything, and then the check is skipped.
  const second = new Uint8Array(129);
  const secondOf = (p: string): number => {
    const c = p.charCodeAt(1); // NaN for "/"
    return c >= 0 && c < 128 ? c : 128;
  };
  for (const p of exact) second[secondOf(p)] = 1;
  for (const p of prefixes) second[secondOf(p)] = 1;
  const everything = prefixes.includes('/');
  return (path) => {
    if (!everything && second[secondOf(path)] === 0) return false;
    if (exact.has(path)) return true;
    for (let i = 0; i < prefixes.length; i++) {
      if (path.startsWith(prefixes[i] as string)) return true;
    }
    return false;
  };
}

/**
 * The path of a request target: everything before `?`.
 * Returns the string itself, without allocating, when there is no query.
 */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
