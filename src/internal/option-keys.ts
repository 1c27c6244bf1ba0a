// The options-object checks every public factory shares: an object (not null, not an array), and no key the factory does not know, with a did-you-mean for a near typo.
import { fail } from './errors.js';

/** Every key of `T`, of each member when `T` is a union (`keyof` alone keeps only the common ones). */
type AllKeys<T> = T extends unknown ? keyof T : never;

/**
 * The compile-time half of {@link checkOptionKeys}: `unknown` (no constraint) when the list `K`
 * names every key of `T`, else an object type that no array satisfies and that names the missing
 * keys in the compiler's message (`Property 'missing' is missing … { missing: "prefix" }`).
 */
type ListsEvery<T, K extends readonly PropertyKey[]> = [Exclude<AllKeys<T>, K[number]>] extends [
  never,
]
  ? unknown
  : { readonly missing: Exclude<AllKeys<T>, K[number]> };

/**
 * Throws `TT_INVALID_OPTION` naming `factory` unless `options` is a plain options object: not
 * `null`, not a primitive, not an array. `example` shows a valid call in the message.
 */
export function checkOptionsObject(
  factory: string,
  options: unknown,
  example?: string,
): asserts options is object {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const got = options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options;
    fail(
      'TT_INVALID_OPTION',
      `${factory}: options must be an object${example === undefined ? '' : `, such as ${example}`}, got ${got}`,
    );
  }
}

/**
 * Refuses an options object with a key `factory` does not know: `TT_INVALID_OPTION`, naming the
 * factory and the key, with the closest known key when one is at most 2 edits away (a typo such as
 * `prefx`), else the list of known keys. TypeScript callers already get a compile error for an
 * unknown key in an object literal; this is for JavaScript callers, and for options built at run
 * time (spread from a config file). Only own enumerable string keys count; a key whose value is
 * `undefined` is still a key.
 *
 * `known` is checked against the options type `T` by the compiler, both ways: a key `T` has that
 * the list misses fails the call (`{ missing: "key" }` in the message), and so does a listed key
 * that `T` does not have. So adding an option to an interface without adding it here does not
 * compile. Declare the list once per options type, at module level, `as const`.
 *
 * Run once, at construction (it loops over the keys): never on a hot path.
 *
 * @param prefix written before each key in the message, for a nested options object
 *   (`'tracing.'` → `unknown option "tracing.levle"`).
 * @throws TelltaleError `TT_INVALID_OPTION` on the first unknown key.
 * @example
 * ```ts
 * const KEYS = ['prefix', 'strict'] as const;
 * checkOptionKeys('createRegistry', options, KEYS); // options: RegistryOptions
 * ```
 */
export function checkOptionKeys<T extends object, const K extends readonly (AllKeys<T> & string)[]>(
  factory: string,
  options: T,
  known: K & ListsEvery<T, K>,
  prefix = '',
): void {
  const list: readonly string[] = known;
  for (const key of Object.keys(options)) {
    if (list.includes(key)) continue;
    const near = closest(key, list);
    fail(
      'TT_INVALID_OPTION',
      near === undefined
        ? `${factory}: unknown option ${JSON.stringify(prefix + key)}; the options are ${list.map((k) => prefix + k).join(', ')}`
        : `${factory}: unknown option ${JSON.stringify(prefix + key)}; did you mean ${JSON.stringify(prefix + near)}?`,
    );
  }
}

/** The known key closest to `key` if it is at most 2 edits away (the first of equally close ones). */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(key, k, bestDistance);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * The Levenshtein distance of `a` and `b` (insertions, deletions, substitutions), or `limit` when
 * it is `limit` or more. Keys are short (under 30 characters), so the two-row table is enough.
 */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      );
      row.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin >= limit) return limit;
    prev = row;
  }
  const d = prev[b.length] as number;
  return Math.min(d, limit);
}
